/** What a fan-out worker reports: one broadcast of `count` ids in a fresh process. */
export interface FanoutResult {
  /** The transport Streamer used ("http", or "sdk" while "http" is not available); "sdk" for the naive loop. */
  readonly transport: string
  readonly count: number
  readonly ms: number
  readonly idsPerSecond: number
  readonly cpuUsPerId: number
  readonly delivered: number
  readonly gone: number
  readonly failed: number
  readonly firstError?: string | undefined
  readonly peakRssMiB: number
}

export interface FanoutInput {
  readonly endpoint: string
  readonly count: number
  readonly goneEvery: number
  /** Streamer only: ids as an array (the naive loop's input) or as a lazy iterable (paged from a store). */
  readonly source: "array" | "iterable"
}

/** Times `broadcast` and measures CPU and peak RSS around it. */
export const measure = async (
  input: FanoutInput,
  transport: string,
  broadcast: () => Promise<{ delivered: number; gone: number; failed: number; firstError?: string | undefined }>
): Promise<FanoutResult> => {
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const outcome = await broadcast()
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return {
    transport,
    count: input.count,
    ms,
    idsPerSecond: input.count / (ms / 1000),
    cpuUsPerId: (cpu.user + cpu.system) / input.count,
    ...outcome,
    peakRssMiB: process.resourceUsage().maxRSS / 1024
  }
}
