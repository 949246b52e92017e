import { defineSource } from "../../../core/index.js";
import { NatsSource } from "./nats.js";
import { NatsSourceOptions } from "./options.js";

export default defineSource({
  type: "nats",
  description: "Reads a NATS JetStream stream (ordered per node, or split with a durable consumer); ids from the stream, resumable on any node.",
  options: NatsSourceOptions,
  plugin: NatsSource,
  example: { servers: ["nats://127.0.0.1:4222"], stream: "LIVETAP", filterSubject: "livetap.events.>" },
});
