import { defineSink } from "../../../core/index.js";
import { NatsSink } from "./nats.js";
import { NatsSinkOptions } from "./options.js";

export default defineSink({
  type: "nats",
  description: "Publishes every event to a NATS JetStream stream, confirming each on JetStream's ack (scale-out: ingest on many nodes).",
  options: NatsSinkOptions,
  plugin: NatsSink,
  example: { servers: ["nats://127.0.0.1:4222"], stream: "LIVETAP", subject: "livetap.events.{type}", createStream: { subjects: ["livetap.events.>"] } },
});
