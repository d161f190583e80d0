import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import type { BroadcastOptions, BroadcastResult, SinkOptions } from "../Streamer.js"
import type { PostError } from "../StreamerError.js"

/** @internal A post with validation and retries (no span). */
export type Post = (connectionId: string, bytes: Uint8Array) => Effect.Effect<void, PostError>

const encoder = new TextEncoder()
/** @internal Text as UTF-8; bytes as they are. */
export const toBytes = (data: string | Uint8Array): Uint8Array =>
  typeof data === "string" ? encoder.encode(data) : data

/** @internal Default posts in flight for `broadcast`. */
export const defaultConcurrency = 50

/** @internal The most workers a broadcast runs (a larger concurrency, `Infinity` included, is capped to it). */
export const maxConcurrency = 10_000

const end: unique symbol = Symbol("effect-streamer/fanout/end")

/** Hands out one id at a time, or `end`; only ever called by one worker at a time for a Stream. */
type Next<E, R> = Effect.Effect<string | typeof end, E, R>

/** The ids of an Iterable, pulled one at a time (a generator runs only as far as the posts have gone). */
const fromIterable = (ids: Iterable<string>): Effect.Effect<Next<never, never>, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => ({ iterator: ids[Symbol.iterator](), done: false })),
      // An interrupted broadcast closes a generator, so that its `finally` blocks run.
      (state) => Effect.sync(() => void (state.done || state.iterator.return?.()))
    ),
    (state) =>
      Effect.sync(() => {
        if (state.done) return end
        const next = state.iterator.next()
        if (next.done) {
          state.done = true
          return end
        }
        return next.value
      })
  )

/**
 * The ids of a Stream: one chunk buffered at a time, the next chunk pulled only when every id of the last one has
 * been taken by a worker. Workers take buffered ids without waiting; a refill runs under a lock.
 */
const fromStream = <E, R>(ids: Stream.Stream<string, E, R>): Effect.Effect<Next<E, R>, never, Scope.Scope | R> =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(ids)
    const lock = yield* Effect.makeSemaphore(1)
    let buffer: ReadonlyArray<string> = []
    let index = 0
    let done = false
    const take: Next<E, R> = Effect.suspend(() => {
      if (index < buffer.length) return Effect.succeed(buffer[index++]!)
      if (done) return Effect.succeed(end)
      return Effect.matchEffect(pull, {
        onFailure: Option.match({
          onNone: () => Effect.sync(() => ((done = true), end)),
          onSome: (error: E) => Effect.fail(error)
        }),
        onSuccess: (chunk) => {
          buffer = Chunk.toReadonlyArray(chunk)
          index = 0
          return take
        }
      })
    })
    return Effect.suspend(() => (index < buffer.length ? Effect.succeed(buffer[index++]!) : lock.withPermits(1)(take)))
  })

/**
 * @internal
 * Posts to every id through `concurrency` workers, each taking the next id when its post (and `onGone`) is done:
 * memory grows with the concurrency and the result (gone and failed ids), not with the number of ids, and ids are
 * read no further ahead than the posts in flight (plus one chunk of a Stream). Never fails; only the id stream's own
 * failure escapes. Interruption interrupts every post in flight.
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
      const requested = options?.concurrency
      const concurrency =
        requested === undefined || Number.isNaN(requested)
          ? defaultConcurrency
          : Math.max(1, Math.min(maxConcurrency, Math.floor(requested)))
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
      // A string is one id, not an Iterable of one-character ids.
      const source: Effect.Effect<Next<E, R>, never, Scope.Scope | R> = typeof ids === "string"
        ? fromIterable([ids])
        : Predicate.hasProperty(ids, Stream.StreamTypeId)
          ? fromStream(ids as Stream.Stream<string, E, R>)
          : fromIterable(ids as Iterable<string>)
      const workers = Array.isArray(ids) ? Math.min(concurrency, ids.length) : concurrency
      return Effect.scoped(
        Effect.flatMap(source, (next) => {
          const worker: Effect.Effect<void, E, R> = Effect.flatMap(next, (id) =>
            id === end ? Effect.void : Effect.zipRight(one(id), worker)
          )
          return Effect.all(
            Array.from({ length: workers }, () => worker),
            { concurrency: workers, discard: true }
          )
        })
      ).pipe(
        Effect.zipRight(
          Effect.annotateCurrentSpan({
            delivered: result.delivered,
            gone: result.gone.length,
            failed: result.failed.length
          })
        ),
        Effect.as(result as BroadcastResult),
        Effect.withSpan("Streamer.broadcast", { attributes: { concurrency } })
      )
    })

/** @internal The frame size: the most text one coalesced message carries by default. */
export const defaultCoalesceBytes = 32768
const defaultWindow = Duration.millis(10)

/**
 * @internal
 * The UTF-8 length of a string without encoding it: a lone surrogate counts 3 bytes, as `TextEncoder` writes it
 * (U+FFFD). Joining strings never makes their text longer than the sum of their lengths.
 */
export const utf8Length = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/**
 * @internal
 * Merges consecutive strings, in order, into messages of at most `maxBytes` UTF-8 bytes; bytes stay separate.
 * A single string longer than `maxBytes` is sent alone; empty strings add nothing.
 */
export const coalesce = (items: Iterable<string | Uint8Array>, maxBytes: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let parts: Array<string> = []
  let textBytes = 0
  const flush = () => {
    if (textBytes > 0) out.push(encoder.encode(parts.length === 1 ? parts[0]! : parts.join("")))
    parts = []
    textBytes = 0
  }
  for (const item of items) {
    if (typeof item !== "string") {
      flush()
      out.push(item)
      continue
    }
    const size = utf8Length(item)
    if (size === 0) continue
    if (textBytes > 0 && textBytes + size > maxBytes) flush()
    parts.push(item)
    textBytes += size
  }
  flush()
  return out
}

type Item = string | Uint8Array

/** @internal How many elements a coalescing sink holds before the stream waits for the posts. */
export const coalesceBuffer = 4096

/**
 * @internal
 * Ordered delivery of a Stream to one connection. Without coalescing, one post per element, each awaited before
 * the next. With it, the stream's elements go through a bounded queue to one consumer fiber, which posts them in
 * order: it takes everything queued once the oldest waiting element has waited `window` (at once if it has already
 * waited that long during the previous post), and merges runs of text. The first failure (after retries)
 * ends the sink with that error, and the stream is pulled no further. `maxBytes` is capped at `maxPayloadBytes`,
 * so that merging never makes a message too large to post.
 */
export const sink =
  (post: Post, maxPayloadBytes: number) =>
  (connectionId: string, options?: SinkOptions): Sink.Sink<void, Item, never, PostError> => {
    const coalesceOption = options?.coalesce
    if (!coalesceOption) return Sink.forEach((data: Item) => post(connectionId, toBytes(data)))
    const settings = coalesceOption === true ? {} : coalesceOption
    const windowMillis = Duration.toMillis(Duration.decode(settings.window ?? defaultWindow))
    const requestedBytes = settings.maxBytes ?? defaultCoalesceBytes
    const maxBytes = Math.min(Number.isNaN(requestedBytes) ? defaultCoalesceBytes : requestedBytes, maxPayloadBytes)
    return Sink.unwrapScoped(
      Effect.gen(function* () {
        const queue = yield* Effect.acquireRelease(Queue.bounded<Item | typeof end>(coalesceBuffer), Queue.shutdown)
        const done = yield* Deferred.make<void, PostError>()
        // When the oldest element now in the queue arrived: set by an offer into an empty queue.
        let oldest = 0
        const consumer = Effect.gen(function* () {
          while (true) {
            const first = yield* Queue.take(queue)
            if (first === end) return
            const wait = oldest + windowMillis - (yield* Clock.currentTimeMillis)
            if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
            const items: Array<Item> = [first]
            let finished = false
            for (const item of yield* Queue.takeAll(queue)) {
              if (item === end) finished = true
              else items.push(item)
            }
            for (const bytes of coalesce(items, maxBytes)) yield* post(connectionId, bytes)
            if (finished) return
          }
        })
        yield* Effect.forkScoped(Effect.intoDeferred(consumer, done))
        // Once the consumer has failed, the next offer fails with its error; an offer that has to wait for room
        // races that failure, so that a failed consumer never leaves the stream blocked.
        const failed = Effect.flatMap(Deferred.await(done), () => Effect.never)
        const offer = (items: Chunk.Chunk<Item | typeof end>) =>
          Effect.flatMap(
            Deferred.poll(done),
            Option.match({
              onNone: () =>
                Effect.flatMap(Queue.size(queue), (size) => {
                  if (size + items.length > coalesceBuffer) {
                    return Effect.raceFirst(Queue.offerAll(queue, items), failed)
                  }
                  if (size > 0) return Queue.offerAll(queue, items)
                  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
                    oldest = now
                    return Queue.offerAll(queue, items)
                  })
                }),
              onSome: (result) => Effect.asVoid(result)
            })
          )
        return Sink.forEachChunk(offer).pipe(
          Sink.zipRight(Sink.fromEffect(Effect.zipRight(offer(Chunk.of(end)), Deferred.await(done))))
        )
      })
    )
  }
