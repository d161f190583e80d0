/**
 * The Streamer service: post to, read and close API Gateway WebSocket connections through the Management API.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Sink from "effect/Sink"
import type * as Stream from "effect/Stream"
import type { ConnectionInfo } from "./ConnectionInfo.js"
import * as Endpoint from "./Endpoint.js"
import * as Region from "./Region.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type { DeleteError, GetError, PostError } from "./StreamerError.js"
import * as HttpTransport from "./internal/httpTransport.js"
import * as PlatformTransport from "./internal/platformTransport.js"
import * as SdkTransport from "./internal/sdkTransport.js"
import * as Service_ from "./internal/service.js"
import type * as Transport from "./internal/transport.js"

/**
 * Static AWS credentials. The secret parts are `Redacted`: they never appear in a message, a log or a span.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  readonly sessionToken?: Redacted.Redacted<string> | undefined
}

/**
 * How requests reach the Management API.
 *
 * - `"http"` (default): a keep-alive node:http(s) client signing with SigV4 on node:crypto.
 * - `"sdk"`: `@aws-sdk/client-apigatewaymanagementapi`, loaded by dynamic import only when chosen.
 *
 * Both pass the same conformance suite; for Deno, Bun, Workers or your own `HttpClient`, see
 * {@link layerWithHttpClient}.
 *
 * @since 0.1.0
 * @category models
 */
export type TransportKind = "http" | "sdk"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, `wss://` too, `http://` on loopback only. */
  readonly endpoint: string
  /** The signing region; see `Region.resolve` for what is used without it. */
  readonly region?: string | undefined
  /** Static credentials; without them, the AWS default provider chain. */
  readonly credentials?: Credentials | undefined
  /** Default `"http"`. */
  readonly transport?: TransportKind | undefined
  /** Retry policy options, a ready `Schedule`, or `false` for no retries. Default `RetryPolicy.schedule()`. */
  readonly retry?: RetryPolicy.Options | RetryPolicy.Policy | false | undefined
  /** Time allowed for each attempt. Default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Larger payloads fail with `PayloadTooLargeError` before any request. Default 131072 (API Gateway's limit). */
  readonly maxPayloadBytes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface BroadcastOptions {
  /** Posts in flight at once. Default 50. */
  readonly concurrency?: number | undefined
  /** Runs once for each gone id (to prune a connection store); its failures are reported, not raised. */
  readonly onGone?: ((connectionId: string) => Effect.Effect<unknown, unknown>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface BroadcastResult {
  /** Posts that succeeded. */
  readonly delivered: number
  /** Ids answered 410, in the order they were found gone. */
  readonly gone: Array<string>
  /** Posts that failed otherwise, after retries. */
  readonly failed: Array<{ readonly connectionId: string; readonly error: PostError }>
  /** Gone ids whose `onGone` failed, with the failure. */
  readonly pruneFailed: Array<{ readonly connectionId: string; readonly cause: unknown }>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SinkOptions {
  /**
   * Merge consecutive text chunks into one message of at most `maxBytes` (default 32768, the frame size) when they
   * arrive within `window` (default 10 ms) of the first one. Off by default.
   */
  readonly coalesce?: boolean | { readonly window?: Duration.DurationInput; readonly maxBytes?: number } | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The normalised endpoint, `https://host/stage`. */
  readonly endpoint: string
  /** The resolved signing region. */
  readonly region: string
  /** Sends `data` (text as UTF-8, bytes as they are) to one connection. */
  readonly postToConnection: (connectionId: string, data: string | Uint8Array) => Effect.Effect<void, PostError>
  /** What API Gateway knows about a connection. */
  readonly getConnection: (connectionId: string) => Effect.Effect<ConnectionInfo, GetError>
  /** Closes a connection; succeeds when it is already gone. */
  readonly deleteConnection: (connectionId: string) => Effect.Effect<void, DeleteError>
  /** Posts `data` to every id with bounded concurrency; never fails as a whole. */
  readonly broadcast: {
    (ids: Iterable<string>, data: string | Uint8Array, options?: BroadcastOptions): Effect.Effect<BroadcastResult>
    <E, R>(
      ids: Stream.Stream<string, E, R>,
      data: string | Uint8Array,
      options?: BroadcastOptions
    ): Effect.Effect<BroadcastResult, E, R>
  }
  /** Delivers a Stream's chunks to one connection, in order, stopping at the first non-retryable error. */
  readonly sink: (connectionId: string, options?: SinkOptions) => Sink.Sink<void, string | Uint8Array, never, PostError>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Streamer extends Context.Tag("effect-streamer/Streamer")<Streamer, Service>() {}

const defaultTimeout = Duration.seconds(10)

/** @internal */
export const resolveRetry = (
  retry: Options["retry"],
  defaults?: RetryPolicy.Options
): RetryPolicy.Policy | undefined =>
  retry === false
    ? undefined
    : RetryPolicy.isPolicy(retry)
      ? retry
      : RetryPolicy.schedule(defaults === undefined ? retry : { ...defaults, ...retry })

const invalid = (path: string, message: string) => Effect.fail(ConfigError.InvalidData([path], message))

/** @internal Validates the options shared by every constructor into a transport config. */
export const resolveConfig = (options: Options): Effect.Effect<Transport.Config, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null) return yield* invalid("endpoint", "options are required")
    const endpoint = yield* Endpoint.normalize(options.endpoint)
    const region = yield* Region.resolve({ region: options.region, endpoint })
    const maxPayloadBytes = options.maxPayloadBytes ?? 131072
    if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 0) {
      return yield* invalid("maxPayloadBytes", "maxPayloadBytes must be a non-negative integer")
    }
    const timeout = Duration.decodeUnknown(options.timeout ?? defaultTimeout)
    if (timeout._tag === "None" || !Duration.isFinite(timeout.value) || Duration.toMillis(timeout.value) <= 0) {
      return yield* invalid("timeout", "timeout must be a positive, finite duration")
    }
    const credentials = options.credentials
    if (credentials !== undefined && (typeof credentials.accessKeyId !== "string" || !credentials.accessKeyId)) {
      return yield* invalid("credentials.accessKeyId", "credentials need an accessKeyId")
    }
    return { endpoint, region, credentials, timeout: timeout.value, maxPayloadBytes }
  })

/**
 * The transports by name. Each is imported statically: an `import()` of a bundled module makes esbuild wrap every
 * module of a bundle in a lazy initialiser, which slowed a Lambda cold start more than these small modules cost
 * (docs/performance.md). What must stay out of start-up or off other runtimes (the AWS SDK, `node:http`,
 * `node:crypto`) each transport imports when it is built.
 */
const transports: Readonly<Record<string, Transport.Make>> = { http: HttpTransport.make, sdk: SdkTransport.make }

const transportFor = (kind: TransportKind): Effect.Effect<Transport.Make, ConfigError.ConfigError> =>
  Object.hasOwn(transports, kind)
    ? Effect.succeed(transports[kind]!)
    : invalid("transport", `unknown transport ${JSON.stringify(kind)}; expected "http" or "sdk"`)

/**
 * Builds the service. A bad endpoint or option fails here with a `ConfigError`, never at call time; the
 * transport's resources live as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError.ConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const config = yield* resolveConfig(options)
    const makeTransport = yield* transportFor(options.transport ?? "http")
    const transport = yield* makeTransport(config)
    return Streamer.of(Service_.make(transport, config, resolveRetry(options.retry)))
  })

/**
 * The service as a layer, self-contained.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Streamer } from "effect-streamer"
 *
 * const program = Streamer.postToConnection("L0SM9cOFvHcCIhw=", "hello").pipe(
 *   Effect.catchTag("GoneError", (e) => Effect.log(`gone: ${e.connectionId}`)),
 *   Effect.provide(Streamer.layer({ endpoint: "https://abc123.execute-api.us-west-2.amazonaws.com/production" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Streamer, ConfigError.ConfigError> =>
  Layer.scoped(Streamer, make(options))

/**
 * Builds the service over the application's `@effect/platform` `HttpClient`, signing with WebCrypto: the portable
 * path for Deno, Bun and Cloudflare Workers (with `FetchHttpClient`), or an app's own instrumented client on Node.
 * `transport` is ignored.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithHttpClient = (
  options: Options
): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const config = yield* resolveConfig(options)
    const transport = yield* PlatformTransport.makeWithHttpClient(config)
    return Streamer.of(Service_.make(transport, config, resolveRetry(options.retry)))
  })

/**
 * The portable service as a layer: requires an `HttpClient`.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer, Redacted } from "effect"
 * import { Streamer } from "effect-streamer"
 *
 * const StreamerLive = Streamer.layerWithHttpClient({
 *   endpoint: "https://abc123.execute-api.us-west-2.amazonaws.com/production",
 *   credentials: { accessKeyId: "AKID...", secretAccessKey: Redacted.make("...") }
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithHttpClient = (
  options: Options
): Layer.Layer<Streamer, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.scoped(Streamer, makeWithHttpClient(options))

/**
 * The service as a layer, its options read from `Config`.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { Streamer } from "effect-streamer"
 *
 * const StreamerLive = Streamer.layerConfig({
 *   endpoint: Config.string("WEBSOCKET_ENDPOINT"),
 *   timeout: Config.succeed("5 seconds")
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config: Config.Config.Wrap<Options>): Layer.Layer<Streamer, ConfigError.ConfigError> =>
  Layer.scoped(Streamer, Effect.flatMap(Config.unwrap(config), make))

/**
 * @since 0.1.0
 * @category accessors
 */
export const postToConnection = (
  connectionId: string,
  data: string | Uint8Array
): Effect.Effect<void, PostError, Streamer> => Effect.flatMap(Streamer, (s) => s.postToConnection(connectionId, data))

/**
 * The JSON text of `value` encoded with `schema`; an encoding failure (a value the schema refuses, or one
 * `JSON.stringify` cannot write) is a `ParseError`.
 */
const encodeJson = <A, I>(
  schema: Schema.Schema<A, I, never>,
  value: A
): Effect.Effect<string, ParseResult.ParseError> => Schema.encode(Schema.parseJson(schema))(value)

/**
 * Encodes `value` with `schema` and posts it as JSON text; an encoding failure is a `ParseError` and sends nothing.
 * `A` is inferred from the schema alone.
 *
 * @since 0.1.0
 * @category accessors
 */
export const postJson = <A, I>(
  connectionId: string,
  schema: Schema.Schema<A, I, never>,
  value: NoInfer<A>
): Effect.Effect<void, PostError | ParseResult.ParseError, Streamer> =>
  Service_.traced("Streamer.postJson")(
    Effect.flatMap(encodeJson(schema, value), (text) => postToConnection(connectionId, text))
  )

/**
 * @since 0.1.0
 * @category accessors
 */
export const getConnection = (connectionId: string): Effect.Effect<ConnectionInfo, GetError, Streamer> =>
  Effect.flatMap(Streamer, (s) => s.getConnection(connectionId))

/**
 * @since 0.1.0
 * @category accessors
 */
export const deleteConnection = (connectionId: string): Effect.Effect<void, DeleteError, Streamer> =>
  Effect.flatMap(Streamer, (s) => s.deleteConnection(connectionId))

/**
 * @since 0.1.0
 * @category accessors
 */
export const broadcast: {
  (
    ids: Iterable<string>,
    data: string | Uint8Array,
    options?: BroadcastOptions
  ): Effect.Effect<BroadcastResult, never, Streamer>
  <E, R>(
    ids: Stream.Stream<string, E, R>,
    data: string | Uint8Array,
    options?: BroadcastOptions
  ): Effect.Effect<BroadcastResult, E, R | Streamer>
} = (
  ids: Iterable<string> | Stream.Stream<string, unknown, unknown>,
  data: string | Uint8Array,
  options?: BroadcastOptions
) =>
  Effect.flatMap(Streamer, (s) => s.broadcast(ids as Stream.Stream<string, unknown, unknown>, data, options)) as never

/**
 * Encodes `value` with `schema` once and broadcasts the JSON text to every id; an encoding failure is a `ParseError`
 * and sends nothing.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Streamer } from "effect-streamer"
 *
 * const Notice = Schema.Struct({ kind: Schema.Literal("notice"), at: Schema.Date, text: Schema.String })
 *
 * const announce = (ids: ReadonlyArray<string>, text: string) =>
 *   Streamer.broadcastJson(ids, Notice, { kind: "notice", at: new Date(), text }).pipe(
 *     Effect.tap((result) => Effect.log(`delivered ${result.delivered}, gone ${result.gone.length}`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const broadcastJson: {
  <A, I>(
    ids: Iterable<string>,
    schema: Schema.Schema<A, I, never>,
    value: NoInfer<A>,
    options?: BroadcastOptions
  ): Effect.Effect<BroadcastResult, ParseResult.ParseError, Streamer>
  <A, I, E, R>(
    ids: Stream.Stream<string, E, R>,
    schema: Schema.Schema<A, I, never>,
    value: NoInfer<A>,
    options?: BroadcastOptions
  ): Effect.Effect<BroadcastResult, ParseResult.ParseError | E, R | Streamer>
} = <A, I>(
  ids: Iterable<string> | Stream.Stream<string, unknown, unknown>,
  schema: Schema.Schema<A, I, never>,
  value: A,
  options?: BroadcastOptions
) =>
  Effect.flatMap(encodeJson(schema, value), (text) =>
    broadcast(ids as Stream.Stream<string, unknown, unknown>, text, options)
  ).pipe(Service_.traced("Streamer.broadcastJson")) as never

/**
 * @since 0.1.0
 * @category accessors
 */
export const sink = (
  connectionId: string,
  options?: SinkOptions
): Sink.Sink<void, string | Uint8Array, never, PostError, Streamer> =>
  Sink.unwrap(Effect.map(Streamer, (s) => s.sink(connectionId, options)))
