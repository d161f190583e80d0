/**
 * Fan-out worker: `streamer.broadcast(ids, data)` at the default concurrency over Streamer's `"http"` transport, or
 * `"sdk"` while `"http"` is not available.
 */
import { makeStreamer } from "../contenders/streamer.js"
import { runMain, Skip, workerInput } from "../lib/child.js"
import { mixedIds, payload } from "../lib/ids.js"
import { describe } from "../lib/pool.js"
import { type FanoutInput, measure } from "./fanout.js"

const open = async (endpoint: string) => {
  try {
    return { transport: "http", ...(await makeStreamer(endpoint, "http")) }
  } catch (error) {
    if (!(error instanceof Skip)) throw error
    return { transport: "sdk", ...(await makeStreamer(endpoint, "sdk")) }
  }
}

runMain(async () => {
  const input = workerInput<FanoutInput>()
  const data = payload(100)
  const ids =
    input.source === "array"
      ? Array.from(mixedIds(input.count, input.goneEvery))
      : mixedIds(input.count, input.goneEvery)
  const { runtime, streamer, transport } = await open(input.endpoint)
  const result = await measure(input, transport, async () => {
    const r = await runtime.runPromise(streamer.broadcast(ids, data))
    return {
      delivered: r.delivered,
      gone: r.gone.length,
      failed: r.failed.length,
      firstError: r.failed[0] ? describe(r.failed[0].error) : undefined
    }
  })
  await runtime.dispose()
  return result
})
