/**
 * (e), (f) Streamer over a transport, as an app uses it: one layer in a `ManagedRuntime`, then
 * `Effect.forEach(ids, postToConnection, { concurrency })` with the default options (validation, retry policy, span).
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Streamer } from "../../src/index.js"
import { Skip } from "../lib/child.js"
import { forEachPost } from "../lib/effectPool.js"
import type { Contender } from "./types.js"

/** Builds `Streamer.layer({ endpoint, transport })`; a transport the library does not accept yet is a `Skip`. */
export const makeStreamer = async (endpoint: string, transport: string) => {
  const runtime = ManagedRuntime.make(
    Streamer.layer({ endpoint, transport: transport as Streamer.TransportKind | undefined })
  )
  const exit = await runtime.runPromiseExit(Streamer.Streamer)
  if (Exit.isFailure(exit)) {
    await runtime.dispose()
    const reason = Cause.pretty(exit.cause).split("\n")[0] ?? "layer failed"
    if (/transport/i.test(reason)) throw new Skip(`Streamer.layer({ transport: "${transport}" }): ${reason}`)
    throw new Error(Cause.pretty(exit.cause))
  }
  return { runtime, streamer: exit.value }
}

export const streamerContender = (transport: string): Contender => ({
  setup: async (target) => {
    const { runtime, streamer } = await makeStreamer(target.endpoint, transport)
    return {
      postAll: (ids, data, concurrency) =>
        runtime.runPromise(forEachPost(ids, concurrency, (id) => streamer.postToConnection(id, data))),
      close: () => runtime.dispose()
    }
  }
})
