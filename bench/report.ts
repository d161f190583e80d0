/** Turns the section reports into the printed tables and the cold-start targets. */
import type { ColdStartReport } from "./coldstart.js"
import type { FanoutReport } from "./fanout.js"
import { describeTarget, fmt, max, min, table, type Target, verdict, type Verdict } from "./stats.js"
import type { ThroughputReport } from "./throughput.js"

export interface TargetCheck {
  readonly section: string
  readonly name: string
  readonly value: number
  readonly target: Target
  readonly verdict: Verdict
}

const verdictCell = (v: Verdict): string => (v === "met" ? "met" : v === "missed" ? "MISSED" : "n/a")

export const throughputTables = (report: ThroughputReport): string => {
  const { options } = report
  const rows = report.contenders.map((c) => [
    c.label,
    fmt.int(c.medianPostsPerSecond),
    c.runs.length
      ? `${fmt.int(min(c.runs.map((r) => r.postsPerSecond)))}–${fmt.int(max(c.runs.map((r) => r.postsPerSecond)))}`
      : "—",
    Number.isFinite(c.medianCpuUsPerPost) ? c.medianCpuUsPerPost.toFixed(0) : "—",
    fmt.mib(c.medianPeakRssMiB),
    `${c.runs.length}/${options.rounds}`,
    c.notes.join("; ")
  ])
  const ratioRows = report.ratios.map((r) => [
    r.name,
    fmt.ratio(r.median),
    r.perRound.map((v) => v.toFixed(2)).join(" "),
    describeTarget(r.target),
    verdictCell(r.verdict),
    fmt.ratio(r.cpuMedian)
  ])
  return [
    `Throughput: ${fmt.int(options.posts)} posts of ${options.payloadBytes} bytes at concurrency ${options.concurrency} ` +
      `(after ${fmt.int(options.warmup)} untimed), ${options.rounds} rounds, each contender in a fresh process`,
    "",
    table(["contender", "posts/s (median)", "range", "CPU us/post", "peak RSS", "rounds", "notes"], rows),
    "",
    table(
      ["ratio (per round, then median)", "median", "per round", "target", "verdict", "same ratio by CPU us/post"],
      ratioRows
    )
  ].join("\n")
}

export const coldStartTables = (report: ColdStartReport): string => {
  const size = (s: { bytes: number; gzipBytes: number }) => `${fmt.kb(s.bytes)} / ${fmt.kb(s.gzipBytes)}`
  const rows = report.bundles.map((b) => [
    b.label,
    b.split ? "split" : "one file",
    fmt.ms(b.medianMs),
    b.runsMs.length ? `${fmt.ms(min(b.runsMs))}–${fmt.ms(max(b.runsMs))}` : "—",
    `${fmt.ms(b.medianImportMs)} / ${fmt.ms(b.medianInvokeMs)}`,
    size(b.entry),
    `${size(b.loaded)} (${b.loaded.files})`,
    size(b.total),
    b.external.files ? `${size(b.external)} (${b.external.files} files)` : "none",
    b.notes.join("; ")
  ])
  return [
    `Cold start: spawn to exit of \`node invoke.mjs handler.mjs\` (import, one invocation, one post), median of ${report.options.runs} runs`,
    "",
    table(
      [
        "handler",
        "bundle",
        "median",
        "range",
        "import / invoke",
        "entry min / gzip",
        "loaded min / gzip (files)",
        "all files min / gzip",
        "loaded from outside the bundle (on disk / gzip)",
        "notes"
      ],
      rows
    ),
    "",
    coldStartComposition(report)
  ].join("\n")
}

/** What each invocation loaded, by package (the largest few): from the split bundles when there are any. */
export const coldStartComposition = (report: ColdStartReport): string => {
  const split = report.bundles.some((b) => b.split)
  return table(
    [`handler (${split ? "split bundle" : "one file"})`, "loaded, by package (minified)"],
    report.bundles
      .filter((b) => b.split === split && b.loaded.bytes + b.external.bytes > 1024)
      .map((b) => [
        b.label,
        [
          ...b.loadedByPackage.slice(0, 5).map((p) => `${p.name} ${fmt.kb(p.bytes)}`),
          ...(b.external.files
            ? [
                `outside the bundle, on disk: ${fmt.kb(b.external.bytes)} in ${b.external.packages.length} packages ` +
                  `(${b.external.packages.slice(0, 2).join(", ")}, …)`
              ]
            : [])
        ].join(", ")
      ])
  )
}

/** Streamer's default handler against the SDK one: start time and size, per bundling mode. */
export const coldStartTargets = (report: ColdStartReport): Array<TargetCheck> => {
  const checks: Array<TargetCheck> = []
  const at = (key: string, split: boolean) => report.bundles.find((b) => b.key === key && b.split === split)
  for (const split of [false, true]) {
    const streamer = at("streamer-default", split)
    const sdk = at("sdk-direct", split)
    if (!streamer || !sdk) continue
    const mode = split ? "split" : "one file"
    const target: Target = { op: "<=", bound: 1 }
    const time = streamer.medianMs / sdk.medianMs
    const loaded = (b: typeof sdk) => b.loaded.bytes + b.external.bytes
    const size = loaded(streamer) / loaded(sdk)
    checks.push({
      section: "cold start",
      name: `default handler start / SDK handler start (${mode})`,
      value: time,
      target,
      verdict: verdict(time, target)
    })
    checks.push({
      section: "cold start",
      name: `default handler loaded bytes / SDK handler's (${mode})`,
      value: size,
      target,
      verdict: verdict(size, target)
    })
  }
  return checks
}

export const fanoutTables = (report: FanoutReport): string => {
  const rows = report.runs.map((r) => [
    r.label,
    fmt.int(r.count),
    r.transport,
    fmt.int(r.idsPerSecond),
    r.cpuUsPerId.toFixed(0),
    fmt.mib(r.peakRssMiB),
    `${r.serverConnectionsPeak}`,
    `${fmt.int(r.delivered)} / ${fmt.int(r.gone)} / ${fmt.int(r.failed)}`,
    r.notes.join("; ")
  ])
  const ratioRows = report.ratios.map((r) => [
    r.name,
    fmt.ratio(r.value),
    describeTarget(r.target),
    verdictCell(r.verdict)
  ])
  return [
    `Fan-out: 1 in ${report.options.goneEvery} ids gone (410), default concurrency, each run in a fresh process`,
    "",
    table(
      [
        "run",
        "ids",
        "transport",
        "ids/s",
        "CPU us/id",
        "peak RSS",
        "connections at once",
        "delivered / gone / failed",
        "notes"
      ],
      rows
    ),
    ...(report.failures.length ? ["", `Failures: ${report.failures.join("; ")}`] : []),
    "",
    table(["ratio", "value", "target", "verdict"], ratioRows)
  ].join("\n")
}

export const targetTable = (checks: ReadonlyArray<TargetCheck>): string =>
  table(
    ["section", "target", "value", "bound", "verdict"],
    checks.map((c) => [c.section, c.name, fmt.ratio(c.value), describeTarget(c.target), verdictCell(c.verdict)])
  )
