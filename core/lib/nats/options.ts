import { z } from "zod";

/**
 * Connection options shared by the `nats` sink and source (CONTRACT 8), spread into both
 * schemas so they are checked and documented the same way.
 */

const SERVER_URL = /^(nats|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

export const NatsServerUrl = z.string().superRefine((url, ctx) => {
  if (!SERVER_URL.test(url)) {
    ctx.addIssue({ code: "custom", message: `"${url}" is not a server URL: use nats://host:port or tls://host:port` });
    return;
  }
  const port = /:(\d+)$/.exec(url)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) ctx.addIssue({ code: "custom", message: `port ${port} is out of range (1 to 65535)` });
});

export const NatsAuthOption = z
  .union([
    z.strictObject({ token: z.string().min(1).describe('Server token (nats-server `authorization { token }`); use "${ENV}".') }),
    z.strictObject({
      user: z.string().min(1).describe("User name."),
      password: z.string().min(1).describe('Password; use "${ENV}".'),
    }),
    z.strictObject({ nkeySeed: z.string().min(1).describe('NKey user seed (`SU...`); use "${ENV}". Signs the server\'s nonce; the seed never leaves the process.') }),
    z.strictObject({ credsFile: z.string().min(1).describe("Path of a `.creds` file (user JWT and NKey seed), read at startup.") }),
  ])
  .describe('How to authenticate, one of `{ "token" }`, `{ "user", "password" }`, `{ "nkeySeed" }`, `{ "credsFile" }` (absent: no credentials). Secrets belong in "${ENV}" and are never logged.');
export type NatsAuthOption = z.infer<typeof NatsAuthOption>;

export const NatsTlsOption = z
  .strictObject({
    ca: z.string().min(1).optional().describe("Path of the PEM CA bundle that signed the server's certificate (absent: the system's CAs)."),
    cert: z.string().min(1).optional().describe("Path of the PEM client certificate, for servers that verify clients (needs `key`)."),
    key: z.string().min(1).optional().describe("Path of the PEM client private key (needs `cert`)."),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: "cert and key go together: give both or neither" })
  .describe("TLS to the servers (implied by tls:// URLs); files are read at startup.");
export type NatsTlsOption = z.infer<typeof NatsTlsOption>;

export const NatsConnectionShape = {
  servers: z
    .array(NatsServerUrl)
    .min(1)
    .max(64)
    .default(["nats://127.0.0.1:4222"])
    .describe('NATS servers to connect to (default ["nats://127.0.0.1:4222"]; 1 to 64 URLs, nats:// or tls://). Any of them will do; the client moves to another when one goes down.'),
  auth: NatsAuthOption.optional(),
  tls: NatsTlsOption.optional(),
  stream: z
    .string()
    .regex(/^[^\s.*>/\\]{1,255}$/, "a stream name has no spaces, dots, *, >, / or \\ (at most 255 characters)")
    .default("LIVETAP")
    .describe('JetStream stream name (default "LIVETAP").'),
};
export const NatsConnectionOptions = z.strictObject(NatsConnectionShape);
export type NatsConnectionOptions = z.infer<typeof NatsConnectionOptions>;
