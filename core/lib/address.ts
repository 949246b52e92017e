import { isIP } from "node:net";

export interface HostPort {
  host: string;
  port: number;
}

/**
 * `host:port` as written in configs: `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`,
 * `0.0.0.0:8080`. Returns a message (not an exception) when it is not one.
 */
export function parseAddress(address: string): HostPort | string {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(address);
  if (!m) return `"${address}" is not host:port (e.g. "127.0.0.1:8080" or "[::1]:8080")`;
  const port = Number(m[2]);
  if (port > 65535) return `port ${port} in "${address}" is over 65535`;
  const host = m[1];
  if (address.startsWith("[") && isIP(host) !== 6) return `"${host}" in "${address}" is not an IPv6 address`;
  return { host, port };
}

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form) and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** A URL base for a bound host and port (`http://[::1]:8080`). */
export function urlFor(scheme: "http" | "https", host: string, port: number): string {
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
