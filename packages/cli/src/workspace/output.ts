/** Output formats shared by commands: Pulumi's JSON style, tables and timestamps. */

/** ui.FprintJSON: two-space indent, trailing newline, no HTML escaping. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function printJson(value: unknown): void {
  process.stdout.write(formatJson(value));
}

/** A table row: its cells, plus optional text printed on the lines after it (Pulumi's AdditionalInfo). */
export type TableRow = string[] | { columns: string[]; info?: string };

/** cmdutil.Table: columns padded to the widest cell, two-space gap, no padding after the last column. */
export function renderTable(headers: string[], rows: TableRow[], prefix = ""): string {
  const lines: { cells: string[]; info?: string }[] = [{ cells: headers }];
  for (const row of rows) {
    const columns = Array.isArray(row) ? row : row.columns;
    const info = Array.isArray(row) ? undefined : row.info;
    // Multi-line cells become several table lines, like Pulumi's normalizedRows.
    const split = columns.map((c) => c.split("\n"));
    const height = Math.max(1, ...split.map((s) => s.length));
    for (let i = 0; i < height; i++) {
      lines.push({ cells: split.map((s) => s[i] ?? ""), ...(i === height - 1 && info ? { info } : {}) });
    }
  }
  const width = (s: string) => [...s].length;
  const widths = headers.map((_, col) => Math.max(...lines.map((l) => width(l.cells[col] ?? ""))));
  let out = "";
  for (const l of lines) {
    out += prefix + l.cells.map((cell, col) => (col < l.cells.length - 1 ? cell + " ".repeat(widths[col]! - width(cell)) + "  " : cell)).join("") + "\n";
    if (l.info) out += l.info;
  }
  return out;
}

/** RFC 5424 with milliseconds, UTC (`2006-01-02T15:04:05.000Z`). */
export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

/** Go's humanize.Time, used in human-readable tables. */
export function humanizeTime(unixSeconds: number, now = Date.now() / 1000): string {
  const d = Math.round(now - unixSeconds);
  const future = d < 0;
  const a = Math.abs(d);
  const suffix = future ? "from now" : "ago";
  const units: [number, string, string][] = [
    [1, "1 second", "seconds"],
    [60, "1 minute", "minutes"],
    [3600, "1 hour", "hours"],
    [86400, "1 day", "days"],
    [604800, "1 week", "weeks"],
    [2629746, "1 month", "months"],
    [31556952, "1 year", "years"],
  ];
  if (a < 1) return "now";
  let chosen = units[0]!;
  for (const u of units) if (a >= u[0]) chosen = u;
  const n = Math.floor(a / chosen[0]);
  return n === 1 ? `${chosen[1]} ${suffix}` : `${n} ${chosen[2]} ${suffix}`;
}

/** Go's time.Duration String for whole seconds ("0s", "45s", "1m2s", "1h0m5s"). */
export function goDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}

/** Go's time.Time String in UTC ("2006-01-02 15:04:05.999999999 +0000 UTC"). */
export function goTimeString(date: Date): string {
  const iso = date.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} +0000 UTC`;
}
