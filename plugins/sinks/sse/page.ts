/**
 * The page at `/`: for now a list of the endpoints; the dashboard replaces it later (its
 * static assets will be served from here too, outside auth, CONTRACT 4).
 */
export const PAGE_CONTENT_TYPE = "text/html; charset=utf-8";

const ENDPOINTS: [path: string, what: string][] = [
  ["/api/telemetry/traces/live", "live events (SSE); filters: ?filter=text, ?type=smtp.*, ?remote-ip=…"],
  ["/api/telemetry/metrics/live", "live metrics (SSE); ?metrics=a,b*&interval=seconds"],
  ["/api/telemetry/live/tracing-token", "a short-lived ?token= for the events stream"],
  ["/api/telemetry/live/metrics-token", "a short-lived ?token= for the metrics stream"],
  ["/metrics", "Prometheus text exposition"],
  ["/healthz", "health check"],
];

export function indexPage(authEnabled: boolean): string {
  const rows = ENDPOINTS.map(([path, what]) => `<li><a href="${path}"><code>${path}</code></a> — ${escapeHtml(what)}</li>`).join("\n      ");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>livetap</title>
    <style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{font-size:90%}</style>
  </head>
  <body>
    <h1>livetap</h1>
    <p>Live telemetry over Server-Sent Events.${authEnabled ? " Endpoints other than /healthz need credentials (Bearer token or Basic user)." : ""}</p>
    <ul>
      ${rows}
    </ul>
  </body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
