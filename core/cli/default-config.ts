/**
 * What `livetap run` runs when there is no config: synthetic mail-server traffic streamed
 * live on loopback, so the first minute of a new user needs no file at all.
 */
export const DEFAULT_ADDRESS = "127.0.0.1:8080";

export const defaultConfig = {
  sources: {
    demo: { type: "demo", rate: 5 },
  },
  sinks: {
    console: { type: "console", inputs: ["demo"], format: "pretty" },
  },
} as const;

export const defaultConfigSummary = "demo source (synthetic mail-server telemetry, 5 events/s) -> console sink (stdout)";
