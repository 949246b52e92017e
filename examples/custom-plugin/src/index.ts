import { defineOperator, inject, injectable, OPTIONS, type Operator } from "livetap";
import { RedactOptions } from "./options.js";
import { redact } from "./redact.js";

@injectable()
export class RedactOperator implements Operator {
  constructor(@inject(OPTIONS) private readonly opts: RedactOptions) {}
  operator() {
    return redact(this.opts);
  }
}

// Loaded by a config's `"plugins": ["./examples/custom-plugin/dist/index.js"]`, then used as
// `{ "type": "redact", "inputs": [...], "fields": ["remoteIp"] }`.
export default defineOperator({
  type: "redact",
  description: "Masks or hashes sensitive data fields (IP addresses, mail addresses) before events leave the process.",
  options: RedactOptions,
  plugin: RedactOperator,
});
