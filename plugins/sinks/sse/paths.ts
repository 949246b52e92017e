/**
 * The sink's endpoint paths (CONTRACT 4), once: the routes, the auth messages, `livetap tap`
 * and the dashboard (bundled by vite, so this module stays pure: no imports) all use them.
 */
export const PATHS = {
  traces: "/api/telemetry/traces/live",
  metrics: "/api/telemetry/metrics/live",
  tracingToken: "/api/telemetry/live/tracing-token",
  metricsToken: "/api/telemetry/live/metrics-token",
  top: "/api/telemetry/top/live",
  pipeline: "/api/pipeline",
  metricsHistory: "/api/telemetry/metrics",
  /** WebAdmin's login (`compat: "stalwart"` only). */
  oauth: "/api/oauth",
  authToken: "/auth/token",
  prometheus: "/metrics",
  health: "/healthz",
  page: "/",
} as const;
