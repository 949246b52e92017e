import type { Problem } from "../plugin.js";

/**
 * `${NAME}` and `${NAME:-default}` in every string value, so secrets never sit in the file;
 * `$${` is a literal `${`. Like the shell and docker compose, `:-` also applies when the
 * variable is set but empty (an empty token is never what was meant). Only values are
 * substituted, never keys: a key decides the config's shape and must be readable as written.
 */
export interface Substituted {
  value: unknown;
  problems: Problem[];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv): Substituted {
  const problems: Problem[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === "string") return substituteString(v, env, path, problems);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, []), problems };
}

function substituteString(text: string, env: NodeJS.ProcessEnv, path: (string | number)[], problems: Problem[]): string {
  if (!text.includes("${")) return text;
  return text.replace(REFERENCE, (match: string, body: string | undefined) => {
    if (match === "$${") return "${";
    if (body === undefined) {
      problems.push({ path, message: 'unclosed "${" (write "$${" for a literal "${")' });
      return match;
    }
    const sep = body.indexOf(":-");
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      problems.push({
        path,
        message: `invalid variable reference ${JSON.stringify(match)}: a name is letters, digits and "_", not starting with a digit (write "$\${" for a literal "\${")`,
      });
      return match;
    }
    const set = env[name];
    if (sep >= 0) return set === undefined || set === "" ? body.slice(sep + 2) : set;
    if (set === undefined) {
      problems.push({ path, message: `environment variable "${name}" is not set (use \${${name}:-default} for a fallback)` });
      return match;
    }
    return set;
  });
}
