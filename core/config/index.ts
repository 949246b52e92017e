/**
 * The config file (CONTRACT.md section 2): load and validate it, and generate its JSON Schema
 * and options reference from the registered plugins.
 */
export { loadConfigFile, loadConfigObject, type LoadOptions } from "./load.js";
export { configJsonSchema, configSchemaText, writeConfigSchema, optionsJsonSchema } from "./json-schema.js";
export { optionsReference, optionTable, type OptionRow, type ReferenceOptions } from "./reference.js";
export { ConfigError, formatPath, formatProblem, type ComponentConfig, type PipelineConfig } from "./model.js";
