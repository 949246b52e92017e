import { defineSource } from "../../../core/index.js";
import { SyslogOptions } from "./options.js";
import { SyslogSource } from "./syslog.js";

export default defineSource({
  type: "syslog",
  description: "Syslog receiver: UDP, TCP or TLS; RFC 5424 and RFC 3164 (as sent in the wild); RFC 6587 framing; unparseable input kept as syslog.unparsed.",
  options: SyslogOptions,
  plugin: SyslogSource,
  example: { mode: "udp", address: "127.0.0.1:5514" },
});
