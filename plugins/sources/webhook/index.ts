import { defineSource } from "../../../core/index.js";
import { WebhookOptions } from "./options.js";
import { WebhookSource } from "./webhook.js";

export type { WebhookSource } from "./webhook.js";
export { signBody } from "./auth.js";

export default defineSource({
  type: "webhook",
  description: "Events POSTed over HTTP(S) as JSON, NDJSON or text lines, with bearer or HMAC auth, a body limit and a bounded ingest queue (429 when full).",
  options: WebhookOptions,
  plugin: WebhookSource,
  example: { address: "127.0.0.1:8081" },
});
