import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../../../core/kit.js";
import { toCommander } from "../../../../core/testing.js";
import { hashPasswordCommand, runHashPassword } from "./hash-password.js";

function collector() {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

describe("livetap hash-password", () => {
  it("hashes the first piped line and prints only the hash on stdout", async () => {
    const input = new PassThrough();
    input.end("s3cret pass\nsecond line ignored\n");
    const out = collector(), err = collector();
    expect(await runHashPassword(input, out.stream, err.stream)).toBe(0);
    expect(out.text()).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+\n$/);
    expect(await verifyPassword("s3cret pass", out.text().trim())).toBe(true);
    expect(err.text()).toBe("");
  });

  it("takes a last line without newline and strips CRLF", async () => {
    for (const raw of ["pw", "pw\r\n"]) {
      const input = new PassThrough();
      input.end(raw);
      const out = collector();
      expect(await runHashPassword(input, out.stream, collector().stream)).toBe(0);
      expect(await verifyPassword("pw", out.text().trim())).toBe(true);
    }
  });

  it.each([
    ["an empty line", "\nlater\n"],
    ["no input at all", ""],
  ])("refuses %s with exit 1 and a message on stderr", async (_name, raw) => {
    const input = new PassThrough();
    input.end(raw);
    const out = collector(), err = collector();
    expect(await runHashPassword(input, out.stream, err.stream)).toBe(1);
    expect(out.text()).toBe("");
    expect(err.text()).toMatch(/no password given/);
  });

  it("does not echo the password on a terminal", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true, rawMode: [] as boolean[] });
    Object.assign(input, { setRawMode: (m: boolean) => input.rawMode.push(m) });
    const out = collector(), err = collector();
    const done = runHashPassword(input, out.stream, err.stream);
    input.write("typed-secret\r");
    expect(await done).toBe(0);
    expect(err.text()).toBe("Password: \n");
    expect(err.text() + out.text()).not.toContain("typed-secret");
    expect(input.rawMode).toEqual([true, false]);
    expect(await verifyPassword("typed-secret", out.text().trim())).toBe(true);
  });

  it("gives up on Ctrl-C at the prompt (exit 130)", async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    const out = collector(), err = collector();
    const done = runHashPassword(input, out.stream, err.stream);
    input.write("half\u0003");
    expect(await done).toBe(130);
    expect(out.text()).toBe("");
    expect(err.text()).toMatch(/cancelled/);
  });

  it("is a commander command named hash-password", () => {
    const c = toCommander(hashPasswordCommand());
    expect(c.name()).toBe("hash-password");
    expect(c.description()).toMatch(/stdin/);
  });
});
