/**
 * What `livetap run` runs when there is no config: synthetic mail-server telemetry streamed
 * live on loopback with the dashboard, so the first minute of a new user needs no file at all.
 */
export const DEFAULT_ADDRESS = "127.0.0.1:8080";

export const defaultConfig = {
  sources: {
    demo: { type: "demo", rate: 5 },
  },
  sinks: {
    live: { type: "sse", inputs: ["demo"], address: DEFAULT_ADDRESS },
  },
} as const;

export const defaultConfigSummary =
  `demo source (synthetic mail-server telemetry, 5 events/s) -> sse sink: dashboard at http://${DEFAULT_ADDRESS}/, ` +
  `stream at http://${DEFAULT_ADDRESS}/api/telemetry/traces/live`;
