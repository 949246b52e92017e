/**
 * Credentials against a real nats-server: token and NKey (the sink and source share the
 * connect code, so one plugin each is enough), wrong ones as a problem at `auth`, and the
 * secrets never in the message. Plus: `validate` (a dry run) creates no stream.
 */
import { describe, expect, it } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, nkeys } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { ConfigError } from "../../../core/testing.js";
import { natsServerPerTest } from "../../../test/support/nats-server.js";
import { feeds, startPipeline, until } from "../../../test/support/pipeline-run.js";

const natsServer = natsServerPerTest();

const problemsOf = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as ConfigError).problems.map((x) => `${x.path.join(".")}: ${x.message}`);

describe("nats credentials", () => {
  it("a token: the right one publishes, a wrong one is a problem at auth without echoing it", async () => {
    const server = await natsServer(["--auth", "s3cret-token-right"]);
    const ok = await startPipeline({
      sources: { in: { type: "feed", name: "auth-token" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [server.url], stream: "TOK", subject: "tok.{type}", createStream: { storage: "memory" }, auth: { token: "s3cret-token-right" } } },
    });
    feeds.get("auth-token")!.push([{ type: "a.b", data: {} }]);
    await until(() => feeds.get("auth-token")!.settledEvents === 1, "published");
    await ok.pipeline.stop();
    const problems = await problemsOf(
      startPipeline({
        sources: { in: { type: "feed", name: "auth-token-2" } },
        sinks: { bus: { type: "nats", inputs: ["in"], servers: [server.url], stream: "TOK", auth: { token: "s3cret-token-wrong" } } },
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sinks\.bus\.auth: nats:\/\/127\.0\.0\.1:\d+ refused these credentials/);
    expect(problems[0]).not.toContain("s3cret");
  });

  it("an NKey seed signs the server's nonce; another user's seed is refused", async () => {
    const user = nkeys.createUser();
    const dir = mkdtempSync(join(tmpdir(), "livetap-nkey-"));
    const conf = join(dir, "server.conf");
    writeFileSync(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
    const server = await natsServer(["-c", conf]);
    const seed = new TextDecoder().decode(user.getSeed());
    const js = await connect({ servers: server.url, authenticator: (await import("@nats-io/transport-node")).nkeyAuthenticator(user.getSeed()) });
    await (await jetstreamManager(js)).streams.add({ name: "NK", subjects: ["nk.>"], storage: "memory" as never });
    await js.close();
    const ok = await startPipeline({ sources: { bus: { type: "nats", servers: [server.url], stream: "NK", auth: { nkeySeed: seed } } }, sinks: { out: { type: "collect", inputs: ["bus"], name: "nk" } } });
    await ok.pipeline.stop();
    const other = new TextDecoder().decode(nkeys.createUser().getSeed());
    const problems = await problemsOf(startPipeline({ sources: { bus: { type: "nats", servers: [server.url], stream: "NK", auth: { nkeySeed: other } } }, sinks: { out: { type: "collect", inputs: ["bus"], name: "nk2" } } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sources\.bus\.auth: .* refused these credentials/);
    expect(problems[0]).not.toContain(other);
  });

  it("an unreadable creds file and a malformed seed are problems at their option", async () => {
    const server = await natsServer([]);
    const problems = await problemsOf(
      startPipeline({
        sources: { bus: { type: "nats", servers: [server.url], auth: { credsFile: "/nonexistent/x.creds" } } },
        sinks: { out: { type: "nats", inputs: ["bus"], servers: [server.url], auth: { nkeySeed: "not-a-seed" } } },
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(
      expect.arrayContaining(["sinks.out.auth.nkeySeed: is not an NKey user seed (it starts with SU)", expect.stringMatching(/^sources\.bus\.auth\.credsFile: cannot read "\/nonexistent\/x\.creds"/)]),
    );
  });

  it("validate (a dry run) checks the stream but creates none", async () => {
    const server = await natsServer([]);
    await startPipeline(
      {
        sources: { in: { type: "feed", name: "dry" } },
        sinks: { bus: { type: "nats", inputs: ["in"], servers: [server.url], stream: "DRY", createStream: {} } },
      },
      { dryRun: true },
    );
    const nc = await connect({ servers: server.url });
    const names: string[] = [];
    for await (const n of (await jetstreamManager(nc)).streams.names()) names.push(n);
    await nc.close();
    expect(names).toEqual([]);
  });
});
