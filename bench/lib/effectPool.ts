import * as Effect from "effect/Effect"
import { describe, type Outcome } from "./pool.js"

/** The Effect way to post to many ids: `Effect.forEach` with bounded concurrency, failures counted. */
export const forEachPost = <E>(
  ids: ReadonlyArray<string>,
  concurrency: number,
  post: (id: string) => Effect.Effect<void, E>
): Effect.Effect<Outcome> =>
  Effect.suspend(() => {
    let ok = 0
    let failed = 0
    let firstError: string | undefined
    return Effect.forEach(
      ids,
      (id) =>
        Effect.match(post(id), {
          onSuccess: () => {
            ok++
          },
          onFailure: (error) => {
            failed++
            firstError ??= describe(error)
          }
        }),
      { concurrency, discard: true }
    ).pipe(Effect.map((): Outcome => ({ ok, failed, firstError })))
  })
