/** Display formatting shared by the event list, the detail panel and the charts. */

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** `HH:MM:SS.mmm` in the browser's time zone; the raw text when it is not a date. */
export function formatTime(createdAt: unknown): string {
  if (typeof createdAt !== "string") return "";
  const d = new Date(createdAt);
  if (Number.isNaN(d.getTime())) return createdAt.slice(0, 24);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** 1234 -> "1,234"; 0.5 -> "0.5"; 12345678 -> "12.3M". */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9)}G`;
  if (a >= 1e6) return `${trim(n / 1e6)}M`;
  if (a >= 1e4) return `${trim(n / 1e3)}k`;
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return trim(n);
}

function trim(n: number): string {
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(n.toFixed(digits)));
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v)} ${units[i]}`;
}

export function formatValue(value: number | null | undefined, unit: string): string {
  if (unit === "bytes") return formatBytes(value);
  const text = formatNumber(value);
  if (text === "–" || unit === "") return text;
  return unit === "/s" ? `${text}/s` : `${text} ${unit}`;
}

/**
 * Unicode bidi controls (marks, embeddings, overrides, isolates): invisible, yet they reorder
 * what follows, so `abc\u202Egnp.exe` reads as `abcexe.png`. Sent data is anyone's input.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** User text for display: each bidi control shown as `⟨U+202E⟩` instead of obeyed. */
export function showBidiControls(s: string): string {
  return s.replace(BIDI_CONTROLS, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

/** `s` without bidi controls, and which ones were there (for saying so). */
export function stripBidiControls(s: string): { text: string; removed: string[] } {
  const removed = s.match(BIDI_CONTROLS) ?? [];
  return { text: removed.length ? s.replace(BIDI_CONTROLS, "") : s, removed: removed.map((c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`) };
}

/** A data value as one short line: strings bare, everything else as JSON; bidi controls shown. */
export function valueText(value: unknown, max = 120): string {
  let s: string;
  if (typeof value === "string") s = value;
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  s = showBidiControls(s);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Keys not worth a column: `level` is shown as the row's colour. */
const SUMMARY_SKIP = new Set(["level"]);

/** `remoteIp=192.0.2.7 domain=example.org …`: the first data fields of an event, for its row. */
export function fieldsSummary(data: unknown, max = 240): string {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return "";
  let out = "";
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (SUMMARY_SKIP.has(k)) continue;
    const part = `${showBidiControls(k)}=${valueText(v, 60)}`;
    out = out === "" ? part : `${out}  ${part}`;
    if (out.length >= max) return `${out.slice(0, max - 1)}…`;
  }
  return out;
}

/** info | warning | error, from the demo's `level` or a syslog `severity`; undefined otherwise. */
export function levelOf(data: unknown): "info" | "warning" | "error" | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const v = typeof d.level === "string" ? d.level : typeof d.severity === "string" ? d.severity : undefined;
  if (v === undefined) return undefined;
  if (/^(error|err|crit|critical|alert|emerg|fatal)$/i.test(v)) return "error";
  if (/^(warning|warn|notice)$/i.test(v)) return "warning";
  return "info";
}

/** A stable hue (0-359) for an event type's family (`smtp` of `smtp.mail-from`). */
export function familyHue(type: string): number {
  const family = type.split(".")[0] ?? type;
  let h = 0;
  for (let i = 0; i < family.length; i++) h = (h * 31 + family.charCodeAt(i)) >>> 0;
  return h % 360;
}
