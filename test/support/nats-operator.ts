import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";

type KeyPair = ReturnType<typeof nkeys.createUser>;

/**
 * nats-server in operator (decentralized JWT) mode, as `nsc` would set it up: an operator
 * signs an account (JetStream enabled), the account signs users; the server trusts the
 * operator and has the account JWT preloaded (memory resolver). JWTs are ed25519-nkey
 * signed as the NATS JWT v2 format says, so a `.creds` file here is a real one.
 */
export interface OperatorSetup {
  /** nats-server config text (add `-js -sd` on the command line). */
  serverConfig: string;
  /** Writes a user's `.creds` file into `dir`; `signer`: another account's key (a user the server must refuse). */
  writeCreds(dir: string, name: string, signer?: KeyPair): string;
}

export function operatorSetup(): OperatorSetup {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const operatorJwt = signJwt(operator, operator.getPublicKey(), "livetap-test-operator", { type: "operator", version: 2 });
  const accountJwt = signJwt(operator, account.getPublicKey(), "LIVETAP", {
    type: "account",
    version: 2,
    limits: {
      subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1,
      // JetStream is off for an account without storage limits.
      mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1,
    },
  });
  // JetStream needs a system account in operator mode.
  const system = nkeys.createAccount();
  const systemJwt = signJwt(operator, system.getPublicKey(), "SYS", { type: "account", version: 2, limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 } });
  return {
    serverConfig:
      `operator: ${operatorJwt}\nsystem_account: ${system.getPublicKey()}\nresolver: MEMORY\n` +
      `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}\n`,
    writeCreds(dir, name, signer = account) {
      const user = nkeys.createUser();
      const jwt = signJwt(signer, user.getPublicKey(), name, { type: "user", version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
      const seed = new TextDecoder().decode(user.getSeed());
      const file = join(dir, `${name}.creds`);
      writeFileSync(
        file,
        `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
          `************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n` +
          `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
        { mode: 0o600 },
      );
      return file;
    },
  };
}

function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats };
  // jti: the hash of the claims without it (as the Go jwt library does; the server does not check it).
  claims.jti = base32(createHash("sha512-256").update(JSON.stringify(claims)).digest());
  const signing = `${b64({ typ: "JWT", alg: "ed25519-nkey" })}.${b64(claims)}`;
  return `${signing}.${Buffer.from(issuer.sign(new TextEncoder().encode(signing))).toString("base64url")}`;
}

function base32(bytes: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "", bits = 0, value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}
