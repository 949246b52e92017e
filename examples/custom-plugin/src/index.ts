import { defineOperator, DELIVERY, inject, injectable, OPTIONS, type Delivery, type Operator } from "livetap";
import { RedactOptions } from "./options.js";
import { redact } from "./redact.js";

@injectable()
export class RedactOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: RedactOptions,
    // Tells core what became of each event: copies carry its tracking, drops settle it.
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}
  operator() {
    return redact(
      this.opts,
      (from, to) => this.delivery.replace(from, to),
      (event) => this.delivery.drop(event),
    );
  }
}

// Loaded by a config's `"plugins": ["./examples/custom-plugin/dist/index.js"]`, then used as
// `{ "type": "redact", "inputs": [...], "fields": ["remoteIp"] }`.
export default defineOperator({
  type: "redact",
  description: "Masks or hashes sensitive data fields (IP addresses, mail addresses) before events leave the process.",
  options: RedactOptions,
  plugin: RedactOperator,
  example: { fields: ["remoteIp"] },
});
