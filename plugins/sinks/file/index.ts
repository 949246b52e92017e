import { defineSink } from "../../../core/index.js";
import { FileSink } from "./file.js";
import { FileOptions } from "./options.js";

export default defineSink({
  type: "file",
  description: "Events appended to a file as JSON lines, batched, with bounded memory and fsync on stop.",
  options: FileOptions,
  plugin: FileSink,
  example: { path: "./events.jsonl" },
});
