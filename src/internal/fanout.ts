import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import * as Take from "effect/Take"
import type { BroadcastOptions, BroadcastResult, SinkOptions } from "../Streamer.js"
import type { PostError } from "../StreamerError.js"

/** @internal A post with validation and retries (no span). */
export type Post = (connectionId: string, bytes: Uint8Array) => Effect.Effect<void, PostError>

const encoder = new TextEncoder()
const toBytes = (data: string | Uint8Array): Uint8Array => (typeof data === "string" ? encoder.encode(data) : data)

/** @internal Default posts in flight for `broadcast`. */
export const defaultConcurrency = 50

/**
 * @internal
 * Streams the ids through a bounded pool of posts: memory grows with the concurrency and the result (gone and
 * failed ids), not with the number of ids. Never fails; only the id stream's own failure escapes.
 */
export const broadcast =
  (post: Post) =>
  <E, R>(
    ids: Iterable<string> | Stream.Stream<string, E, R>,
    data: string | Uint8Array,
    options?: BroadcastOptions
  ): Effect.Effect<BroadcastResult, E, R> =>
    Effect.suspend(() => {
      const bytes = toBytes(data)
      const concurrency = Math.max(1, Math.floor(options?.concurrency ?? defaultConcurrency))
      const onGone = options?.onGone
      const result = { delivered: 0, gone: [] as Array<string>, failed: [], pruneFailed: [] } as {
        delivered: number
        gone: Array<string>
        failed: Array<{ connectionId: string; error: PostError }>
        pruneFailed: Array<{ connectionId: string; cause: unknown }>
      }
      const prune = (connectionId: string): Effect.Effect<void> =>
        onGone === undefined
          ? Effect.void
          : Effect.suspend(() => onGone(connectionId)).pipe(
              Effect.catchAllCause((cause) => Effect.sync(() => result.pruneFailed.push({ connectionId, cause }))),
              Effect.asVoid
            )
      const one = (connectionId: string): Effect.Effect<void> =>
        Effect.matchEffect(post(connectionId, bytes), {
          onSuccess: () => Effect.sync(() => void result.delivered++),
          onFailure: (error) => {
            if (error._tag === "GoneError") {
              result.gone.push(connectionId)
              return prune(connectionId)
            }
            result.failed.push({ connectionId, error })
            return Effect.void
          }
        })
      const source: Stream.Stream<string, E, R> = Predicate.hasProperty(ids, Stream.StreamTypeId)
        ? (ids as Stream.Stream<string, E, R>)
        : Stream.fromIterable(ids as Iterable<string>)
      return source.pipe(
        Stream.mapEffect(one, { concurrency, unordered: true }),
        Stream.runDrain,
        Effect.as(result as BroadcastResult),
        Effect.withSpan("Streamer.broadcast", { attributes: { concurrency } })
      )
    })

/** @internal The frame size: the most text one coalesced message carries by default. */
export const defaultCoalesceBytes = 32768
const defaultWindow = Duration.millis(10)

/**
 * @internal
 * Merges consecutive strings, in order, into messages of at most `maxBytes` UTF-8 bytes; bytes stay separate.
 * A single string longer than `maxBytes` is sent alone.
 */
export const coalesce = (items: Iterable<string | Uint8Array>, maxBytes: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let text = ""
  let textBytes = 0
  const flush = () => {
    if (textBytes > 0 || text.length > 0) out.push(encoder.encode(text))
    text = ""
    textBytes = 0
  }
  for (const item of items) {
    if (typeof item !== "string") {
      flush()
      out.push(item)
      continue
    }
    const size = encoder.encode(item).byteLength
    if (textBytes > 0 && textBytes + size > maxBytes) flush()
    text += item
    textBytes += size
  }
  flush()
  return out
}

/**
 * @internal
 * Ordered delivery of a Stream to one connection. Without coalescing, one post per element, each awaited before
 * the next. With it, a consumer fiber groups what arrives within the window and posts the merged messages in
 * order; the first failure (after retries) ends the sink with that error.
 */
export const sink =
  (post: Post) =>
  (connectionId: string, options?: SinkOptions): Sink.Sink<void, string | Uint8Array, never, PostError> => {
    const coalesceOption = options?.coalesce
    if (!coalesceOption) return Sink.forEach((data: string | Uint8Array) => post(connectionId, toBytes(data)))
    const settings = coalesceOption === true ? {} : coalesceOption
    const window = Duration.decode(settings.window ?? defaultWindow)
    const maxBytes = settings.maxBytes ?? defaultCoalesceBytes
    return Sink.unwrapScoped(
      Effect.gen(function* () {
        const queue = yield* Effect.acquireRelease(Queue.bounded<Take.Take<string | Uint8Array>>(1024), Queue.shutdown)
        const done = yield* Deferred.make<void, PostError>()
        yield* Stream.fromQueue(queue).pipe(
          Stream.flattenTake,
          Stream.groupedWithin(4096, window),
          Stream.mapConcat((group) => coalesce(group, maxBytes)),
          Stream.runForEach((bytes) => post(connectionId, bytes)),
          Effect.intoDeferred(done),
          Effect.forkScoped
        )
        // Offering races the consumer's failure, so a failed consumer never leaves the producer blocked.
        const failed = Effect.flatMap(Deferred.await(done), () => Effect.never)
        const offer = (take: Take.Take<string | Uint8Array>) => Effect.raceFirst(Queue.offer(queue, take), failed)
        return Sink.forEachChunk((chunk: Chunk.Chunk<string | Uint8Array>) => offer(Take.chunk(chunk))).pipe(
          Sink.zipRight(Sink.fromEffect(Effect.zipRight(offer(Take.end), Deferred.await(done))))
        )
      })
    )
  }
