/**
 * Fan-out (issue 5): `streamer.broadcast` of a mix of live and gone ids against the loopback server, next to the naive
 * `Promise.all` over the AWS SDK client for the same ids; and Streamer's peak RSS for a small and a large broadcast,
 * each in a fresh process, to show that memory does not grow with the number of ids.
 */
import * as Path from "node:path"
import { buildWorker } from "./lib/build.js"
import { runWorker } from "./lib/child.js"
import { buildDir } from "./lib/env.js"
import type { Loopback } from "./lib/loopback.js"
import { type Target, verdict, type Verdict } from "./stats.js"
import type { FanoutInput, FanoutResult } from "./workers/fanout.js"

export interface FanoutOptions {
  /** Ids in the comparison and in the large memory run. */
  readonly count: number
  /** Ids in the small memory run. */
  readonly smallCount: number
  /** Every n-th id is gone. */
  readonly goneEvery: number
  readonly timeoutMs: number
}

export interface FanoutRun extends FanoutResult {
  readonly key: string
  readonly label: string
  readonly serverRequests: number
  readonly serverConnectionsPeak: number
  readonly notes: Array<string>
}

export interface FanoutRatio {
  readonly name: string
  readonly meaning: string
  readonly value: number
  readonly target: Target
  readonly verdict: Verdict
}

export interface FanoutReport {
  readonly options: FanoutOptions
  readonly runs: Array<FanoutRun>
  readonly failures: Array<string>
  readonly ratios: Array<FanoutRatio>
}

export const runFanout = async (
  loopback: Loopback,
  options: FanoutOptions,
  log: (line: string) => void
): Promise<FanoutReport> => {
  const failures: Array<string> = []
  const workers: Record<string, string | undefined> = {}
  for (const name of ["fanoutStreamer", "fanoutNaive"]) {
    const built = await buildWorker(`workers/${name}.ts`, Path.join(buildDir, "fanout", `${name}.mjs`))
    if (built.ok) workers[name] = built.file
    else failures.push(`${name} does not build: ${built.error}`)
  }

  // The naive loop needs the ids in an array (`ids.map`); broadcast takes them lazily, as when paging a store, and
  // its large run serves both the comparison and the memory ratio.
  const plan: ReadonlyArray<{
    key: string
    label: string
    worker: string
    count: number
    source: FanoutInput["source"]
  }> = [
    {
      key: "naive",
      label: "naive Promise.all over the SDK client",
      worker: "fanoutNaive",
      count: options.count,
      source: "array"
    },
    {
      key: "broadcast",
      label: "Streamer broadcast",
      worker: "fanoutStreamer",
      count: options.count,
      source: "iterable"
    },
    {
      key: "broadcast-small",
      label: "Streamer broadcast",
      worker: "fanoutStreamer",
      count: options.smallCount,
      source: "iterable"
    }
  ]
  const runs: Array<FanoutRun> = []
  for (const step of plan) {
    const file = workers[step.worker]
    if (file === undefined) continue
    const input: FanoutInput = {
      endpoint: loopback.endpoint,
      count: step.count,
      goneEvery: options.goneEvery,
      source: step.source
    }
    await loopback.reset()
    const outcome = await runWorker<FanoutResult>(file, input, options.timeoutMs)
    const server = await loopback.stats()
    if (outcome.type !== "result") {
      const why =
        outcome.type === "timeout"
          ? `timed out after ${outcome.afterMs} ms`
          : outcome.type === "skipped"
            ? outcome.reason
            : outcome.message
      failures.push(`${step.key}: ${why}`)
      log(`  ${step.key}: FAILED (${why.split("\n")[0]})`)
      continue
    }
    const r = outcome.result
    const notes: Array<string> = []
    const expectedGone = Math.floor(step.count / options.goneEvery)
    if (r.failed > 0) notes.push(`${r.failed} posts failed (${r.firstError ?? "?"})`)
    if (r.gone !== expectedGone || r.delivered !== step.count - expectedGone) {
      notes.push(
        `delivered ${r.delivered} and gone ${r.gone}, expected ${step.count - expectedGone} and ${expectedGone}`
      )
    }
    if (server.requests !== step.count) notes.push(`the server saw ${server.requests} requests, expected ${step.count}`)
    runs.push({
      ...r,
      key: step.key,
      label: step.label,
      serverRequests: server.requests,
      serverConnectionsPeak: server.connectionsPeak,
      notes
    })
    log(
      `  ${step.key.padEnd(12)} ${step.count} ids over "${r.transport}": ${Math.round(r.idsPerSecond)} ids/s, ` +
        `${r.peakRssMiB.toFixed(0)} MiB peak RSS, ${server.connectionsPeak} connections at once${notes.length ? ` (${notes.join("; ")})` : ""}`
    )
  }

  const run = (key: string) => runs.find((r) => r.key === key && r.notes.length === 0)
  const ratio = (
    name: string,
    meaning: string,
    a: number | undefined,
    b: number | undefined,
    target: Target
  ): FanoutRatio => {
    const value = a !== undefined && b !== undefined ? a / b : Number.NaN
    return { name, meaning, value, target, verdict: verdict(value, target) }
  }
  const ratios = [
    ratio(
      "broadcast / naive",
      "Streamer broadcast ids/s over naive Promise.all ids/s, same ids",
      run("broadcast")?.idsPerSecond,
      run("naive")?.idsPerSecond,
      { op: ">=", bound: 3 }
    ),
    ratio(
      `peak RSS ${options.count} / ${options.smallCount} ids`,
      "Streamer broadcast peak RSS, large over small",
      run("broadcast")?.peakRssMiB,
      run("broadcast-small")?.peakRssMiB,
      { op: "<=", bound: 1.3 }
    )
  ]
  return { options, runs, failures, ratios }
}
