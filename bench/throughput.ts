/**
 * Throughput (issue 4): every contender posts the same payload to the loopback server, each in its own fresh process
 * per round, contenders alternating (the order rotates every round). Ratios are taken within a round, then the
 * median across rounds, so that drift in a noisy machine hits both sides of a ratio alike.
 */
import * as Path from "node:path"
import { contenders } from "./contenders/index.js"
import type { Target } from "./contenders/types.js"
import { buildWorker } from "./lib/build.js"
import { runWorker } from "./lib/child.js"
import { buildDir } from "./lib/env.js"
import { type Loopback, stage } from "./lib/loopback.js"
import { median, type Target as RatioTarget, verdict, type Verdict } from "./stats.js"
import type { ThroughputInput, ThroughputResult } from "./workers/throughput.js"

export interface ThroughputOptions {
  readonly rounds: number
  readonly posts: number
  readonly warmup: number
  readonly concurrency: number
  readonly payloadBytes: number
  readonly timeoutMs: number
}

export interface Run extends ThroughputResult {
  readonly round: number
  readonly serverRequests: number
  /** Connections the contender opened, and the most open at once (its real concurrency, with keep-alive). */
  readonly serverConnections: number
  readonly serverConnectionsPeak: number
}

export interface ContenderReport {
  readonly key: string
  readonly label: string
  /** Why it did not run, or what went wrong in some rounds. */
  readonly notes: Array<string>
  readonly runs: Array<Run>
  readonly medianPostsPerSecond: number
  readonly medianCpuUsPerPost: number
  readonly medianPeakRssMiB: number
}

export interface RatioReport {
  readonly name: string
  readonly meaning: string
  readonly perRound: Array<number>
  readonly median: number
  /**
   * The same ratio from each process's CPU time per post instead of the wall clock (per round, then the median): what
   * it would be if both sides were bound by their own CPU, much less sensitive to other load on the machine.
   */
  readonly cpuMedian: number
  readonly target: RatioTarget | undefined
  readonly verdict: Verdict
}

export interface ThroughputReport {
  readonly options: ThroughputOptions
  readonly contenders: Array<ContenderReport>
  readonly ratios: Array<RatioReport>
}

/** `numerator` over `denominator` per round: posts/s for speed-ups, time (ms) for costs. */
interface RatioSpec {
  readonly name: string
  readonly meaning: string
  readonly numerator: string
  readonly denominator: string
  readonly of: "postsPerSecond" | "ms"
  readonly target?: RatioTarget
}

const ratioSpecs: ReadonlyArray<RatioSpec> = [
  {
    name: "http / sdk-direct",
    meaning: 'Streamer "http" posts/s over the AWS SDK client used directly',
    numerator: "streamer-http",
    denominator: "sdk-direct",
    of: "postsPerSecond",
    target: { op: ">=", bound: 3 }
  },
  {
    name: "http / aws-lite",
    meaning: 'Streamer "http" posts/s over aws-lite',
    numerator: "streamer-http",
    denominator: "aws-lite",
    of: "postsPerSecond",
    target: { op: ">=", bound: 1.5 }
  },
  {
    name: "http / signed ceiling",
    meaning: 'Streamer "http" posts/s over node:http + minimal signer, no Effect',
    numerator: "streamer-http",
    denominator: "node-http-signed",
    of: "postsPerSecond",
    target: { op: ">=", bound: 0.75 }
  },
  {
    name: "streamer-sdk cost",
    meaning: 'time of Streamer "sdk" over time of the SDK client used directly',
    numerator: "streamer-sdk",
    denominator: "sdk-direct",
    of: "ms",
    target: { op: "<=", bound: 1.15 }
  },
  {
    name: "streamer-http cost (Effect's cost)",
    meaning: 'time of Streamer "http" over time of the same transport called without the service',
    numerator: "streamer-http",
    denominator: "bare-http",
    of: "ms",
    target: { op: "<=", bound: 1.15 }
  },
  {
    name: "signing cost",
    meaning: "posts/s of node:http + signer over unsigned node:http (context, no target)",
    numerator: "node-http-signed",
    denominator: "node-http",
    of: "postsPerSecond"
  }
]

const rotate = <A>(items: ReadonlyArray<A>, by: number): Array<A> =>
  items.length === 0 ? [] : items.map((_, i) => items[(i + by) % items.length]!)

export const runThroughput = async (
  loopback: Loopback,
  options: ThroughputOptions,
  log: (line: string) => void
): Promise<ThroughputReport> => {
  const reports = new Map<string, ContenderReport>()
  const bundles = new Map<string, string>()
  for (const spec of contenders) {
    const report: ContenderReport = {
      key: spec.key,
      label: spec.label,
      notes: [],
      runs: [],
      medianPostsPerSecond: Number.NaN,
      medianCpuUsPerPost: Number.NaN,
      medianPeakRssMiB: Number.NaN
    }
    reports.set(spec.key, report)
    const entry = spec.entry()
    if ("skip" in entry) {
      report.notes.push(`skipped: ${entry.skip}`)
      continue
    }
    const built = await buildWorker(entry, Path.join(buildDir, "throughput", `${spec.key}.mjs`))
    if (built.ok) bundles.set(spec.key, built.file)
    else report.notes.push(`skipped: does not build: ${built.error}`)
  }

  const target: Target = { endpoint: loopback.endpoint, port: loopback.port, stage, region: "us-east-1" }
  const input: ThroughputInput = {
    target,
    posts: options.posts,
    warmup: options.warmup,
    concurrency: options.concurrency,
    payloadBytes: options.payloadBytes
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const key of rotate([...bundles.keys()], round)) {
      const report = reports.get(key)!
      await loopback.reset()
      const outcome = await runWorker<ThroughputResult>(bundles.get(key)!, input, options.timeoutMs)
      const server = await loopback.stats()
      if (outcome.type === "skipped") {
        report.notes.push(`skipped: ${outcome.reason}`)
        bundles.delete(key)
        log(`  ${key}: skipped (${outcome.reason})`)
        continue
      }
      if (outcome.type !== "result") {
        const why = outcome.type === "timeout" ? `timed out after ${outcome.afterMs} ms` : outcome.message
        report.notes.push(`round ${round + 1}: ${why}`)
        log(`  ${key}: FAILED (${why.split("\n")[0]})`)
        continue
      }
      // A run counts only if every post succeeded and the server saw every one of them.
      const r = outcome.result
      const expected = options.warmup + options.posts
      const invalid =
        r.failed > 0 || r.warmupFailed > 0
          ? `${r.failed + r.warmupFailed} posts failed (${r.firstError ?? "?"})`
          : server.requests !== expected
            ? `the server saw ${server.requests} requests, expected ${expected}`
            : undefined
      if (invalid !== undefined) {
        report.notes.push(`round ${round + 1}: not counted: ${invalid}`)
        log(`  ${key}: not counted (${invalid})`)
        continue
      }
      report.runs.push({
        ...r,
        round,
        serverRequests: server.requests,
        serverConnections: server.connections,
        serverConnectionsPeak: server.connectionsPeak
      })
      log(
        `  round ${round + 1}/${options.rounds} ${key.padEnd(17)} ${Math.round(r.postsPerSecond).toString().padStart(6)} posts/s` +
          `  ${r.cpuUsPerPost.toFixed(0).padStart(4)} us CPU/post  ${r.peakRssMiB.toFixed(0)} MiB` +
          `  ${server.connections} connections (${server.connectionsPeak} at once)`
      )
    }
  }

  const all = [...reports.values()].map((report): ContenderReport => ({
    ...report,
    medianPostsPerSecond: median(report.runs.map((r) => r.postsPerSecond)),
    medianCpuUsPerPost: median(report.runs.map((r) => r.cpuUsPerPost)),
    medianPeakRssMiB: median(report.runs.map((r) => r.peakRssMiB))
  }))
  const ratios = ratioSpecs.map((spec): RatioReport => {
    const runsOf = (key: string) => reports.get(key)?.runs ?? []
    const perRound: Array<number> = []
    const cpuPerRound: Array<number> = []
    for (let round = 0; round < options.rounds; round++) {
      const a = runsOf(spec.numerator).find((r) => r.round === round)
      const b = runsOf(spec.denominator).find((r) => r.round === round)
      if (!a || !b) continue
      perRound.push(a[spec.of] / b[spec.of])
      // Posts/s is inversely proportional to CPU per post; time is proportional to it.
      cpuPerRound.push(spec.of === "ms" ? a.cpuUsPerPost / b.cpuUsPerPost : b.cpuUsPerPost / a.cpuUsPerPost)
    }
    const value = median(perRound)
    return {
      name: spec.name,
      meaning: spec.meaning,
      perRound,
      median: value,
      cpuMedian: median(cpuPerRound),
      target: spec.target,
      verdict: verdict(value, spec.target)
    }
  })
  return { options, contenders: all, ratios }
}
