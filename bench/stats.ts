/** The median of a non-empty sample (the mean of the middle two for an even count); NaN when empty. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const min = (values: ReadonlyArray<number>): number => (values.length ? Math.min(...values) : Number.NaN)
export const max = (values: ReadonlyArray<number>): number => (values.length ? Math.max(...values) : Number.NaN)

/** A ratio target: `value` must be at least (`>=`) or at most (`<=`) `bound`. */
export interface Target {
  readonly op: ">=" | "<="
  readonly bound: number
}

export type Verdict = "met" | "missed" | "n/a"

export const verdict = (value: number, target: Target | undefined): Verdict =>
  target === undefined || !Number.isFinite(value)
    ? "n/a"
    : (target.op === ">=" ? value >= target.bound : value <= target.bound)
      ? "met"
      : "missed"

export const describeTarget = (target: Target | undefined): string =>
  target === undefined ? "" : `${target.op === ">=" ? "≥" : "≤"} ${target.bound}x`

/** Formatting for the tables: integers with thousands separators, ratios with two decimals, "—" for missing. */
export const fmt = {
  int: (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—"),
  ratio: (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}x` : "—"),
  mib: (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} MiB` : "—"),
  ms: (n: number): string => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : "—"),
  kb: (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : "—")
}

/** A Markdown table (readable as printed, pasteable into docs). */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n")
}
