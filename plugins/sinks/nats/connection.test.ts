/**
 * Connection paths against a real nats-server: TLS (a CA made here with openssl, the server's
 * certificate for 127.0.0.1, client certificates for a server that verifies them) and a
 * `.creds` file in operator (JWT) mode. The sink and source share the connect code; each
 * test runs both, events going from one to the other.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigError } from "../../../core/testing.js";
import { natsServerPerTest } from "../../../test/support/nats-server.js";
import { operatorSetup } from "../../../test/support/nats-operator.js";
import { collected, feeds, startPipeline, until } from "../../../test/support/pipeline-run.js";

const natsServer = natsServerPerTest();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "livetap-nats-conn-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problemsOf = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as ConfigError).problems?.map((x) => `${x.path.join(".")}: ${x.message}`);

/** feed -> nats sink and nats source -> collect in one pipeline: `n` events through the server. */
async function roundTrip(name: string, connection: Record<string, unknown>, n = 20): Promise<void> {
  const run = await startPipeline({
    sources: { in: { type: "feed", name: `${name}-in` }, bus: { type: "nats", stream: name, ...connection } },
    sinks: {
      out: { type: "nats", inputs: ["in"], stream: name, subject: `${name.toLowerCase()}.{type}`, createStream: { storage: "memory" }, ...connection },
      seen: { type: "collect", inputs: ["bus"], name: `${name}-seen` },
    },
  });
  feeds.get(`${name}-in`)!.push(Array.from({ length: n }, (_, i) => ({ type: "conn.test", data: { i } })));
  await until(() => (collected.get(`${name}-seen`)?.length ?? 0) >= n, `${n} events through ${name}`);
  expect(collected.get(`${name}-seen`)!.map((e) => e.data.i)).toEqual(Array.from({ length: n }, (_, i) => i));
  await run.pipeline.stop();
}

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(serverIp = "127.0.0.1"): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=livetap test CA");
  writeFileSync(join(dir, "server.ext"), `subjectAltName=IP:${serverIp}\nextendedKeyUsage=serverAuth\n`);
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${serverIp}`);
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl("req", ...ec, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=livetap ingest");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.ext");
  const p = (f: string) => join(dir, f);
  return { ca: p("ca.pem"), serverCert: p("server.pem"), serverKey: p("server.key"), clientCert: p("client.pem"), clientKey: p("client.key") };
}

describe("nats connections", () => {
  it("TLS: with the CA that signed the server's certificate events flow (nats:// with tls, and tls://); without it, a problem naming the certificate", async () => {
    const c = makeCertificates();
    const server = await natsServer(["--tls", "--tlscert", c.serverCert, "--tlskey", c.serverKey]);
    await roundTrip("TLSA", { servers: [server.url], tls: { ca: c.ca } });
    await roundTrip("TLSB", { servers: [`tls://127.0.0.1:${server.port}`], tls: { ca: c.ca } });
    const problems = await problemsOf(
      startPipeline({ sources: { bus: { type: "nats", servers: [`tls://127.0.0.1:${server.port}`], stream: "TLSA" } }, sinks: { seen: { type: "collect", inputs: ["bus"], name: "tls-no-ca" } } }),
    );
    expect(problems).toEqual([expect.stringMatching(/^sources\.bus\.tls: tls:\/\/127\.0\.0\.1:\d+ presented a certificate this client does not trust \(unable to verify the first certificate\): it needs "tls\.ca": the CA that signed it$/)]);
  });

  it("TLS: a certificate for another IP is refused, a problem at tls (the host check stays on)", async () => {
    const c = makeCertificates("127.0.0.2");
    const server = await natsServer(["--tls", "--tlscert", c.serverCert, "--tlskey", c.serverKey]);
    const problems = await problemsOf(
      startPipeline({ sources: { bus: { type: "nats", servers: [server.url], stream: "TLSC", tls: { ca: c.ca } } }, sinks: { seen: { type: "collect", inputs: ["bus"], name: "tls-wrong-ip" } } }),
    );
    expect(problems).toEqual([expect.stringMatching(/^sources\.bus\.tls: nats:\/\/127\.0\.0\.1:\d+ presented a certificate this client does not trust \(.*\): it needs a certificate issued for the name or IP in the URL$/)]);
  });

  it("mutual TLS: a server that verifies clients takes the sink's and source's cert and key, and refuses a client without them", async () => {
    const c = makeCertificates();
    const server = await natsServer(["--tlsverify", "--tlscert", c.serverCert, "--tlskey", c.serverKey, "--tlscacert", c.ca]);
    await roundTrip("MTLS", { servers: [server.url], tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey } });
    // The server ends the handshake in silence: the client sees a timeout, so `run` retries and `validate` says what to check.
    const problems = await problemsOf(
      startPipeline(
        { sources: { bus: { type: "nats", servers: [server.url], stream: "MTLS", tls: { ca: c.ca } } }, sinks: { seen: { type: "collect", inputs: ["bus"], name: "mtls-no-cert" } } },
        { dryRun: true },
      ),
    );
    expect(problems).toEqual([expect.stringMatching(/^sources\.bus\.servers: cannot reach nats:\/\/127\.0\.0\.1:\d+ \(timeout; if the server verifies clients, set tls\.cert and tls\.key\)$/)]);
  });

  it("a .creds file in operator mode: a user of the account connects and uses JetStream; a user signed by a foreign account is a problem at auth", async () => {
    const op = operatorSetup();
    const conf = join(dir, "operator.conf");
    writeFileSync(conf, op.serverConfig);
    const server = await natsServer(["-c", conf]);
    await roundTrip("CREDS", { servers: [server.url], auth: { credsFile: op.writeCreds(dir, "ingest") } });
    const { nkeys } = await import("@nats-io/transport-node");
    const foreign = op.writeCreds(dir, "intruder", nkeys.createAccount());
    const problems = await problemsOf(
      startPipeline({ sources: { bus: { type: "nats", servers: [server.url], stream: "CREDS", auth: { credsFile: foreign } } }, sinks: { seen: { type: "collect", inputs: ["bus"], name: "creds-foreign" } } }),
    );
    expect(problems).toHaveLength(1);
    expect(problems![0]).toMatch(/^sources\.bus\.auth: nats:\/\/127\.0\.0\.1:\d+ refused these credentials/);
  });
});
