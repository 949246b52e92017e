import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Why `path` could not be opened for appending (parents created as start() does), found
 * without creating, truncating or touching anything; undefined when it could. For the dry
 * start of `livetap validate`.
 */
export async function appendProblem(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return "it is a directory";
    await access(path, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return (err as Error).message;
  }
  // Missing: start() creates it, and its missing parents, under the nearest existing folder
  // (which must be a folder: ENOTDIR above says one on the way is a file).
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) return `"${dir}" is not a directory`;
      await access(dir, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dirname(dir) === dir) return (err as Error).message;
    }
  }
}
