import { mkdir, open, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/**
 * A component's durable state: small JSON values by key, each in its own file, written
 * atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves either the
 * old or the new value, never a torn one.
 */
export interface CheckpointStore {
  /** The component's own directory (created on first write). */
  readonly dir: string;
  /** The stored value, undefined when absent; throws CheckpointCorrupt when unreadable. */
  read<T = unknown>(key: string): Promise<T | undefined>;
  write(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
}

export class CheckpointCorrupt extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`checkpoint ${file} is unreadable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "CheckpointCorrupt";
  }
}

/**
 * A write refused without touching the disk: the last attempt failed and the next is not due
 * yet. Callers count it but need not warn again (the failure that started it was reported).
 */
export class CheckpointRetryLater extends Error {
  constructor(
    readonly dir: string,
    readonly retryInMs: number,
    readonly lastError: string,
  ) {
    super(`checkpoint not written: the last attempt in ${dir} failed (${lastError}); next attempt in ${Math.ceil(retryInMs / 1000)} s`);
    this.name = "CheckpointRetryLater";
  }
}

const SAFE_KEY = /^[A-Za-z0-9._-]{1,128}$/;
/** After a failed write, the next one waits 1 s, doubling up to a minute (a full disk, a directory removed). */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;
const PROBE_KEY = ".probe";

export class FileCheckpointStore implements CheckpointStore {
  private made = false;
  private failures = 0;
  private retryAt = 0;
  private lastError = "";

  constructor(
    readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates the directory and writes and removes a file in it: what `write` will need, checked
   * once at startup so an unusable dataDir is a startup problem, not a warning every second.
   */
  async probe(opts: { leaveNothing?: boolean } = {}): Promise<void> {
    if (!opts.leaveNothing) {
      await this.ensureDir();
      await this.writeFile(join(this.dir, `${PROBE_KEY}.${process.pid}.tmp`), "");
      await rm(join(this.dir, `${PROBE_KEY}.${process.pid}.tmp`), { force: true });
      return;
    }
    // `livetap validate`: the same checks, then every directory it had to create is removed again.
    const created = await makeDirs(this.dir);
    try {
      await this.writeFile(join(this.dir, `${PROBE_KEY}.${process.pid}.tmp`), "");
      await rm(join(this.dir, `${PROBE_KEY}.${process.pid}.tmp`), { force: true });
    } finally {
      for (const d of created.reverse()) await rmdir(d).catch(() => undefined);
    }
  }

  async read<T>(key: string): Promise<T | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new CheckpointCorrupt(file, err);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new CheckpointCorrupt(file, err);
    }
  }

  async write(key: string, value: unknown): Promise<void> {
    const file = this.file(key);
    const wait = this.retryAt - this.now();
    if (this.failures > 0 && wait > 0) throw new CheckpointRetryLater(this.dir, wait, this.lastError);
    try {
      await this.writeAtomically(file, JSON.stringify(value));
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.made = false; // the directory may be what went away
      this.retryAt = this.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  private async writeAtomically(file: string, text: string): Promise<void> {
    await this.ensureDir();
    const tmp = `${file}.${process.pid}.tmp`;
    await this.writeFile(tmp, text);
    await rename(tmp, file);
    // The rename itself is durable only once the directory entry is synced.
    const dirHandle = await open(this.dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  private async writeFile(path: string, text: string): Promise<void> {
    const handle = await open(path, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async ensureDir(): Promise<void> {
    if (this.made) return;
    await makeDirs(this.dir);
    this.made = true;
  }

  private file(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`checkpoint key "${key}" must be 1-128 of A-Z a-z 0-9 . _ -`);
    return join(this.dir, `${key}.json`);
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `mkdir({ recursive: true })` never returns where a
 * parent exists but creating the child says ENOENT (`/proc/1/livetap`): it spins in a
 * thread-pool thread, burning a core and keeping the process alive after it stopped.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = (await stat(d)).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: some parent is a file; going up finds which, for the message.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw describeFsError(err, d);
      missing.push(d);
      if (dirname(d) === d) break;
      continue;
    }
    if (isDir) break;
    throw Object.assign(new Error(`cannot create ${dir}: ${d} is a file, not a directory`), { code: "ENOTDIR" });
  }
  const created: string[] = [];
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
      created.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw describeFsError(err, d);
    }
  }
  return created;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a parent is not a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EEXIST: "exists and is not a directory",
};

function describeFsError(err: unknown, path: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code ? `${code}, ${FS_REASONS[code] ?? (err as Error).message}` : String((err as Error).message ?? err);
  return Object.assign(new Error(`cannot create ${path} (${reason})`), { code });
}

/** The dry start's store (`livetap validate`): the real state is read; nothing is written or removed. */
export class ReadOnlyCheckpointStore implements CheckpointStore {
  private readonly files: FileCheckpointStore;
  constructor(readonly dir: string) {
    this.files = new FileCheckpointStore(dir);
  }

  read<T>(key: string): Promise<T | undefined> {
    return this.files.read<T>(key);
  }

  async write(_key: string, _value: unknown): Promise<void> {}

  async remove(_key: string): Promise<void> {}
}
