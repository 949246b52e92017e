import { defineSource } from "../../../core/index.js";
import { FileSource } from "./file.js";
import { FileOptions } from "./options.js";

export default defineSource({
  type: "file",
  description: "Tails files matched by globs (rotation by rename or copytruncate followed, positions checkpointed under dataDir): one event per line.",
  options: FileOptions,
  plugin: FileSource,
  example: { include: ["./logs/*.log"] },
});
