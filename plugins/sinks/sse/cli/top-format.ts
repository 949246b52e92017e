/** What one `event: top` frame holds (CONTRACT 9). */
export interface TopFrame {
  by: string;
  window: number;
  total: number;
  exact?: boolean;
  top: { value: string; count: number }[];
}

function heading(f: TopFrame): string {
  return `top ${f.by}, last ${f.window} s: ${f.total} events${f.exact === false ? " (estimated: more distinct values than maxTopKeys)" : ""}`;
}

function rows(f: TopFrame): string {
  const width = Math.max(5, ...f.top.map((t) => String(t.count).length));
  // Values come from events: control characters would move the cursor of a terminal.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return f.top.map((t) => `${String(t.count).padStart(width)}  ${t.value.replace(/[\x00-\x1f\x7f]/g, "?")}\n`).join("");
}

/** Piped: each frame as plain lines (a heading, then `count  value` per value) and a blank line. */
export function formatTopLines(f: TopFrame): string {
  return `${heading(f)}\n${rows(f)}\n`;
}

/** A terminal: the cursor home and the screen cleared, then the table, so it refreshes in place. */
export function formatTopTable(f: TopFrame): string {
  return `\x1b[H\x1b[2J${heading(f)}\n\n${rows(f) || "  (no events yet)\n"}`;
}
