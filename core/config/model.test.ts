import { describe, expect, it } from "vitest";
import { PluginProblems } from "../plugin.js";
import { ConfigError, formatPath, formatProblem } from "./model.js";

describe("formatPath", () => {
  it.each<[(string | number)[], string]>([
    [["sinks", "live", "auth", "bearer", 0], "sinks.live.auth.bearer[0]"],
    [["sources", "my source", "type"], 'sources["my source"].type'],
    [["operators", "no-debug"], "operators.no-debug"],
    [["sources", "1st"], "sources.1st"],
    [["$schema"], "$schema"],
    [["plugins", 0], "plugins[0]"],
    [[], "(config)"],
  ])("%j -> %s", (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe("formatProblem", () => {
  it("prefixes the path", () => {
    expect(formatProblem({ path: ["sinks", "live", "adress"], message: "unknown option" })).toBe("sinks.live.adress: unknown option");
  });

  it("prints a problem about the whole file as it is", () => {
    expect(formatProblem({ path: [], message: 'cannot read "x.json": ENOENT (no such file)' })).toBe('cannot read "x.json": ENOENT (no such file)');
  });

  it("is how a ConfigError's message lists its problems", () => {
    const err = new ConfigError([
      { path: ["a"], message: "one" },
      { path: ["b", 1], message: "two" },
    ]);
    expect(err.message).toBe("a: one\nb[1]: two");
  });

  it("is how a plugin's PluginProblems message lists its problems", () => {
    const err = new PluginProblems([
      { path: ["auth", "bearer", 0], message: "one" },
      { path: ["tls", "cert file"], message: "two" },
    ]);
    expect(err.message).toBe('auth.bearer[0]: one; tls["cert file"]: two');
  });
});
