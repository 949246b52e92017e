/**
 * JSON.parse with errors a person can act on: `livetap.json: invalid JSON at line 4, column 12:
 * expected ',' or '}'`. V8's messages change between Node versions and most carry no position
 * (`Unexpected token '}', "..." is not valid JSON`), so on failure a small scanner finds where
 * and why; V8's own position is the fallback if the two ever disagree.
 */

import { MAX_CONFIG_DEPTH } from "./depth.js";

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJsonText(text: string, label: string): JsonParseResult {
  // Editors on Windows save a BOM; JSON.parse rejects it, people cannot see it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    const located = locateJsonError(body) ?? fromV8Message(body, (err as Error).message);
    if (located.offset === undefined) return { ok: false, message: `${label}: invalid JSON: ${located.reason}` };
    const { line, column } = lineColumn(body, located.offset);
    return { ok: false, message: `${label}: invalid JSON at line ${line}, column ${column}: ${located.reason}` };
  }
}

interface Located {
  offset?: number;
  reason: string;
}

/** 1-based line and column of a UTF-16 offset; CRLF counts as one line break. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function fromV8Message(text: string, message: string): Located {
  const reason = lowerFirst(message.replace(/\s*in JSON at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, ""));
  const position = /at position (\d+)/.exec(message);
  if (position) return { offset: Number(position[1]), reason };
  if (/end of JSON input/.test(message)) return { offset: text.length, reason };
  return { reason };
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/**
 * Walks the JSON grammar (RFC 8259) and returns the first error, or undefined when the text
 * is valid. Nesting past MAX_CONFIG_DEPTH is an error too (the config would be refused for
 * it anyway), which also bounds this walk's recursion.
 */
export function locateJsonError(text: string): Located | undefined {
  let i = 0;
  let depth = 0;

  function fail(reason: string, at = i): never {
    throw new Stop(at, reason);
  }
  function skipSpace(): void {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
    // People write JSONC out of habit; say so instead of "unexpected '/'".
    if (text.startsWith("//", i) || text.startsWith("/*", i)) fail("comments are not allowed in JSON");
  }
  const shown = (): string => (i >= text.length ? "the end of the file" : `'${text[i]}'`);

  const value = (): void => {
    skipSpace();
    if (i >= text.length) fail("unexpected end of the file, expected a value");
    const c = text[i];
    if ((c === "{" || c === "[") && depth > MAX_CONFIG_DEPTH) fail(`nested deeper than ${MAX_CONFIG_DEPTH}`);
    if (c === "{") return nested(object);
    if (c === "[") return nested(array);
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === "'") fail("strings must use double quotes");
    fail(`expected a value, got ${shown()}`);
  };

  const nested = (walk: () => void): void => {
    depth++;
    walk();
    depth--;
  };

  const object = (): void => {
    i++; // {
    skipSpace();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') {
        if (text[i] === "}") fail("trailing comma before '}'");
        fail(i >= text.length ? "unexpected end of the file, expected a property name" : "expected a property name in double quotes");
      }
      string();
      skipSpace();
      if (text[i] !== ":") fail("expected ':' after the property name");
      i++;
      value();
      skipSpace();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail("expected ',' or '}'");
    }
  };

  const array = (): void => {
    i++; // [
    skipSpace();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] === "]") fail("trailing comma before ']'");
      value();
      skipSpace();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail("expected ',' or ']'");
    }
  };

  const string = (): void => {
    const start = i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("bad \\u escape: expected 4 hex digits");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`bad escape '\\${e ?? ""}' in string`);
        continue;
      }
      if (c < " ") fail(c === "\n" ? "unterminated string (line break inside a string)" : "control character in string (escape it)");
      i++;
    }
    fail("unterminated string", start);
  };

  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("invalid number");
    i += m[0].length;
  };

  try {
    value();
    skipSpace();
    if (i < text.length) fail("unexpected text after the end of the JSON value");
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { offset: e.offset, reason: e.reason };
    throw e;
  }
}
