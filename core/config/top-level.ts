import { resolve } from "node:path";
import type { Problem } from "../plugin.js";
import { didYouMean } from "../lib/did-you-mean.js";
import { describeValue, suggestion } from "./messages.js";
import { DEFAULT_DATA_DIR, TOP_LEVEL_KEYS } from "./sections.js";

export interface TopLevel {
  /** Plugin module specifiers with their index in `plugins`, for problem paths. */
  plugins: { specifier: string; index: number }[];
  /** Absolute. */
  dataDir: string;
  problems: Problem[];
}

/** Everything at the top of the file except the component sections. */
export function readTopLevel(doc: Record<string, unknown>, baseDir: string): TopLevel {
  const problems: Problem[] = [];
  const known: readonly string[] = TOP_LEVEL_KEYS;
  for (const key of Object.keys(doc)) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    problems.push({ path: [key], message: hint ? `unknown key${suggestion(hint)}` : `unknown key (known: ${known.join(", ")})` });
  }

  // `$schema` only points editors at the JSON Schema; its value means nothing to livetap.
  if (doc.$schema !== undefined && typeof doc.$schema !== "string") {
    problems.push({ path: ["$schema"], message: `expected a string (the path or URL of livetap.schema.json), got ${describeValue(doc.$schema)}` });
  }

  const plugins: TopLevel["plugins"] = [];
  if (doc.plugins !== undefined) {
    if (!Array.isArray(doc.plugins)) {
      problems.push({ path: ["plugins"], message: `expected an array of module paths or package names, got ${describeValue(doc.plugins)}` });
    } else {
      doc.plugins.forEach((specifier: unknown, index) => {
        if (typeof specifier === "string" && specifier.trim() !== "") plugins.push({ specifier, index });
        else problems.push({ path: ["plugins", index], message: `expected a module path or package name, got ${describeValue(specifier)}` });
      });
    }
  }

  let dataDir = resolve(baseDir, DEFAULT_DATA_DIR);
  if (doc.dataDir !== undefined) {
    if (typeof doc.dataDir !== "string") problems.push({ path: ["dataDir"], message: `expected a string (a directory path), got ${describeValue(doc.dataDir)}` });
    else if (doc.dataDir === "") problems.push({ path: ["dataDir"], message: "must not be empty" });
    else dataDir = resolve(baseDir, doc.dataDir);
  }
  return { plugins, dataDir, problems };
}
