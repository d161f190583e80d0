/**
 * An in-memory `Streamer` for unit tests of code that posts to connections: no network, no AWS, the same
 * validation, errors and retry semantics as the real service.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConnectionInfo } from "./ConnectionInfo.js"
import { type Options as StreamerOptions, resolveRetry, type Service, Streamer } from "./Streamer.js"
import { GoneError, type StreamerError, ThrottlingError } from "./StreamerError.js"
import * as Service_ from "./internal/service.js"
import type { Transport } from "./internal/transport.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = "post" | "get" | "delete"

/**
 * One request the in-memory service answered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly operation: Operation
  readonly connectionId: string
  /** The bytes posted (`post` only). */
  readonly data?: Uint8Array
  /** What was answered: `undefined` for success. */
  readonly error?: StreamerError
}

/**
 * Decides a fault for a request: return an error to answer with it, or nothing to proceed normally.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault = (request: { readonly operation: Operation; readonly connectionId: string }) => StreamerError | void

/**
 * The controls of the in-memory service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Control {
  /** Adds a live connection (a fresh AWS-like id when none is given) and returns its id. */
  readonly connect: (connectionId?: string, identity?: Record<string, unknown>) => Effect.Effect<string>
  /** Drops a connection: later posts to it answer `GoneError`. */
  readonly disconnect: (connectionId: string) => Effect.Effect<void>
  /** The live connection ids, oldest first. */
  readonly live: Effect.Effect<ReadonlyArray<string>>
  /** The text messages delivered to a connection, in order (bytes decoded as UTF-8). */
  readonly messages: (connectionId: string) => Effect.Effect<ReadonlyArray<string>>
  /** The raw payloads delivered to a connection, in order. */
  readonly payloads: (connectionId: string) => Effect.Effect<ReadonlyArray<Uint8Array>>
  /** Every request answered, in order, failures included. */
  readonly requests: Effect.Effect<ReadonlyArray<Request>>
  /** Answers requests through `fault` until it is replaced or cleared with `undefined`. */
  readonly setFault: (fault: Fault | undefined) => Effect.Effect<void>
  /** Makes the next `count` requests fail with `error` (for example a `ThrottlingError`). */
  readonly failNext: (count: number, error: (connectionId: string) => StreamerError) => Effect.Effect<void>
  /** Forgets recorded requests and messages (connections stay). */
  readonly reset: Effect.Effect<void>
}

/**
 * The tag of the controls, provided beside `Streamer` by {@link layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export class StreamerTest extends Context.Tag("effect-streamer/StreamerTest")<StreamerTest, Control>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Ids live from the start. */
  readonly connections?: Iterable<string> | undefined
  /** Reported as the service's endpoint. Default `http://127.0.0.1:0/test`. */
  readonly endpoint?: string | undefined
  readonly region?: string | undefined
  /** As for `Streamer.layer`; default: the standard policy with no delay between retries. */
  readonly retry?: StreamerOptions["retry"]
  readonly maxPayloadBytes?: number | undefined
}

const decoder = new TextDecoder()

const freshId = (): string => {
  const bytes = new Uint8Array(11)
  globalThis.crypto.getRandomValues(bytes)
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
}

/**
 * Builds the in-memory service and its controls.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<{ readonly service: Service; readonly control: Control }> =>
  Effect.sync(() => {
    const connections = new Map<string, { connectedAt: Date; lastActiveAt: Date; identity: Record<string, unknown> }>()
    const delivered = new Map<string, Array<Uint8Array>>()
    let requests: Array<Request> = []
    let fault: Fault | undefined
    let pending: Array<(connectionId: string) => StreamerError> = []
    const now = () => new Date()
    const add = (id: string, identity: Record<string, unknown> = { sourceIp: "127.0.0.1", userAgent: "test" }) =>
      connections.set(id, { connectedAt: now(), lastActiveAt: now(), identity })
    for (const id of options.connections ?? []) add(id)

    const answer = <A>(
      operation: Operation,
      connectionId: string,
      data: Uint8Array | undefined,
      run: () => A
    ): Effect.Effect<A, StreamerError> =>
      Effect.suspend(() => {
        const injected = pending.length > 0 ? pending.shift()!(connectionId) : fault?.({ operation, connectionId })
        const error = injected ?? (connections.has(connectionId) ? undefined : new GoneError({ connectionId }))
        requests.push({ operation, connectionId, ...(data ? { data } : {}), ...(error ? { error } : {}) })
        return error ? Effect.fail(error) : Effect.succeed(run())
      })

    const transport: Transport = {
      post: (connectionId, data) =>
        answer("post", connectionId, data, () => {
          const list = delivered.get(connectionId) ?? []
          list.push(data.slice())
          delivered.set(connectionId, list)
        }),
      get: (connectionId) =>
        answer("get", connectionId, undefined, () => {
          const c = connections.get(connectionId)!
          return new ConnectionInfo({ connectionId, ...c })
        }),
      delete: (connectionId) => answer("delete", connectionId, undefined, () => void connections.delete(connectionId))
    }

    const service = Service_.make(
      transport,
      {
        endpoint: options.endpoint ?? "http://127.0.0.1:0/test",
        region: options.region ?? "us-east-1",
        credentials: undefined,
        timeout: Duration.seconds(10),
        maxPayloadBytes: options.maxPayloadBytes ?? 131072
      },
      // The real policy, without its delays: a test need not wait for backoff.
      resolveRetry(options.retry, { base: Duration.zero, jitter: false })
    )

    const control: Control = {
      connect: (connectionId, identity) =>
        Effect.sync(() => {
          const id = connectionId ?? freshId()
          add(id, identity)
          return id
        }),
      disconnect: (connectionId) => Effect.sync(() => void connections.delete(connectionId)),
      live: Effect.sync(() => Array.from(connections.keys())),
      payloads: (connectionId) => Effect.sync(() => (delivered.get(connectionId) ?? []).slice()),
      messages: (connectionId) => Effect.sync(() => (delivered.get(connectionId) ?? []).map((b) => decoder.decode(b))),
      requests: Effect.sync(() => requests.slice()),
      setFault: (f) => Effect.sync(() => void (fault = f)),
      failNext: (count, error) => Effect.sync(() => void (pending = pending.concat(Array(count).fill(error)))),
      reset: Effect.sync(() => {
        requests = []
        delivered.clear()
        pending = []
      })
    }
    return { service, control }
  })

/**
 * A layer providing an in-memory `Streamer` and its {@link StreamerTest} controls.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Streamer, StreamerTest } from "effect-streamer"
 *
 * const test = Effect.gen(function* () {
 *   const control = yield* StreamerTest.StreamerTest
 *   const id = yield* control.connect()
 *   yield* Streamer.postToConnection(id, "hello")
 *   const gone = yield* Effect.flip(Streamer.postToConnection("ZDb-VclrIAMCJ3w=", "hello"))
 *   return [yield* control.messages(id), gone._tag] // [["hello"], "GoneError"]
 * }).pipe(Effect.provide(StreamerTest.layer()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Streamer | StreamerTest> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, service }) =>
      Context.make(Streamer, service).pipe(Context.add(StreamerTest, control))
    )
  )

/**
 * A `Fault` that throttles a fraction of requests (deterministic given the same `random`).
 *
 * @since 0.1.0
 * @category faults
 */
export const throttleFraction =
  (fraction: number, random: () => number = Math.random, retryAfter?: Duration.DurationInput): Fault =>
  ({ connectionId }) =>
    random() < fraction
      ? new ThrottlingError({
          connectionId,
          retryAfter: retryAfter === undefined ? Option.none() : Option.some(Duration.decode(retryAfter))
        })
      : undefined
