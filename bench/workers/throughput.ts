/**
 * The throughput worker: one contender in a fresh process. Builds the client, warms it up (untimed), then times
 * `posts` posts at `concurrency`, and reports the time, the outcome and the process's peak RSS.
 */
import type { Contender, Target } from "../contenders/types.js"
import { peakRssMiB, runMain, workerInput } from "../lib/child.js"
import { liveIds, payload } from "../lib/ids.js"
import type { Outcome } from "../lib/pool.js"

export interface ThroughputInput {
  readonly target: Target
  readonly posts: number
  readonly warmup: number
  readonly concurrency: number
  readonly payloadBytes: number
}

export interface ThroughputResult extends Outcome {
  readonly ms: number
  readonly postsPerSecond: number
  /** This process's CPU time (user + system) over the timed posts, per post: what the client costs, whatever the noise. */
  readonly cpuUsPerPost: number
  readonly warmupFailed: number
  readonly peakRssMiB: number
}

export const runThroughputWorker = (contender: Contender): void =>
  runMain(async (): Promise<ThroughputResult> => {
    const input = workerInput<ThroughputInput>()
    const data = payload(input.payloadBytes)
    const warmupIds = liveIds(input.warmup, 0, "W")
    const ids = liveIds(input.posts, 0, "L")
    const client = await contender.setup(input.target)
    const warm = await client.postAll(warmupIds, data, input.concurrency)
    const cpuBefore = process.cpuUsage()
    const start = performance.now()
    const outcome = await client.postAll(ids, data, input.concurrency)
    const ms = performance.now() - start
    const cpu = process.cpuUsage(cpuBefore)
    await client.close()
    return {
      ...outcome,
      ms,
      postsPerSecond: input.posts / (ms / 1000),
      cpuUsPerPost: (cpu.user + cpu.system) / input.posts,
      warmupFailed: warm.failed,
      peakRssMiB: peakRssMiB()
    }
  })
