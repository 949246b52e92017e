import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

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

const SAFE_KEY = /^[A-Za-z0-9._-]{1,128}$/;

export class FileCheckpointStore implements CheckpointStore {
  private made = false;
  constructor(readonly dir: string) {}

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
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(JSON.stringify(value));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    // The rename itself is durable only once the directory entry is synced.
    const dirHandle = await open(this.dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  private file(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`checkpoint key "${key}" must be 1-128 of A-Z a-z 0-9 . _ -`);
    return join(this.dir, `${key}.json`);
  }
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
