import { defineSink } from "../../../core/index.js";
import { NatsSink } from "./nats.js";
import { NatsSinkOptions } from "./options.js";

export default defineSink({
  type: "nats",
  description: "Publishes every event to a NATS JetStream stream, confirming each on JetStream's ack (scale-out: ingest on many nodes).",
  options: NatsSinkOptions,
  plugin: NatsSink,
});
