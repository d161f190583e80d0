import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { describe, type Outcome } from "./pool.js"

/** How an Effect contender runs its posts with bounded concurrency. */
export type Driver = "forEach" | "stream"

/**
 * Posts to every id with at most `concurrency` in flight, failures counted: `Effect.forEach` (what an app writes), or
 * `Stream.mapEffect` with `unordered: true` (what `broadcast` does today), to measure what the driver itself costs.
 */
export const postEach = <E>(
  ids: ReadonlyArray<string>,
  concurrency: number,
  post: (id: string) => Effect.Effect<void, E>,
  driver: Driver = "forEach"
): Effect.Effect<Outcome> =>
  Effect.suspend(() => {
    let ok = 0
    let failed = 0
    let firstError: string | undefined
    const one = (id: string) =>
      Effect.match(post(id), {
        onSuccess: () => {
          ok++
        },
        onFailure: (error) => {
          failed++
          firstError ??= describe(error)
        }
      })
    const all =
      driver === "forEach"
        ? Effect.forEach(ids, one, { concurrency, discard: true })
        : Stream.runDrain(Stream.mapEffect(Stream.fromIterable(ids), one, { concurrency, unordered: true }))
    return Effect.map(all, (): Outcome => ({ ok, failed, firstError }))
  })
