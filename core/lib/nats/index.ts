export * from "./options.js";
export { NatsLink, NatsNotReady, NatsUnreachable, backoffMs, type NatsLinkHooks } from "./connect.js";
export * from "./subjects.js";
