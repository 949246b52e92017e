export * from "./options.js";
export { NatsLink, NatsUnreachable, backoffMs, type NatsLinkHooks } from "./connect.js";
export * from "./subjects.js";
