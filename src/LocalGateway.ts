/**
 * A faithful local API Gateway for WebSocket APIs: WebSocket clients connect to `ws://127.0.0.1:{port}/{stage}`,
 * and the Management API answers at `http://127.0.0.1:{port}/{stage}/@connections/{id}` the way AWS does (410 with
 * an empty body, `x-amzn-ErrorType`, 413, SigV4, 429 with `Retry-After`, lifecycle limits). For development and
 * tests; imported from `effect-streamer/local` so that a Lambda bundle never carries a WebSocket server.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type { ConnectionInfo } from "./ConnectionInfo.js"
import * as Faults_ from "./internal/gateway/faults.js"
import * as Server from "./internal/gateway/server.js"

/**
 * Fault injection for management requests (never for WebSocket traffic). Each management request draws one number
 * from a seeded generator: the first `throttle` of the range answers 429, the next `serverError` 500/502/503, the
 * next `drop` destroys the socket (half of those after the operation took effect), the next `hang` never answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults {
  /** Fraction of requests answered 429 `LimitExceededException` with `Retry-After`. */
  readonly throttle?: number | undefined
  /** Fraction of requests answered 500 `InternalServerErrorException`, 502 or 503 (a third each). */
  readonly serverError?: number | undefined
  /** Fraction of requests whose socket is destroyed without an answer: half before, half after the operation. */
  readonly drop?: number | undefined
  /** Added before every management answer. */
  readonly latency?: Duration.DurationInput | undefined
  /** Fraction of requests never answered (`true` for all of them). */
  readonly hang?: number | boolean | undefined
  /** The `Retry-After` of a throttled answer, in seconds. Default 1. */
  readonly retryAfterSeconds?: number | undefined
  /** Seed of the generator: the same seed and the same requests give the same faults. Default: random. */
  readonly seed?: number | undefined
}

/**
 * The kind of fault a management request suffered.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultKind = "throttle" | "serverError" | "drop" | "hang"

/**
 * The credentials the gateway expects management requests to be signed with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string | Redacted.Redacted<string>
}

/**
 * Who opened a connection, as API Gateway reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestIdentity {
  readonly sourceIp: string
  /** The handshake's `User-Agent`, when the client sent one. */
  readonly userAgent?: string | undefined
}

/**
 * The `requestContext` of a WebSocket event, shaped as API Gateway sends it to Lambda.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebSocketRequestContext {
  readonly routeKey: string
  /** Only on message events. */
  readonly messageId?: string | undefined
  readonly eventType: "CONNECT" | "MESSAGE" | "DISCONNECT"
  readonly extendedRequestId: string
  /** `04/Dec/2026:10:00:00 +0000` */
  readonly requestTime: string
  readonly messageDirection: "IN"
  readonly stage: string
  /** Epoch milliseconds. */
  readonly connectedAt: number
  readonly requestTimeEpoch: number
  /** Always present (typed optional so that handlers typed with `@types/aws-lambda` are accepted). */
  readonly identity?: RequestIdentity | undefined
  readonly requestId: string
  /** `127.0.0.1:{port}` */
  readonly domainName: string
  readonly connectionId: string
  /** `"local"` */
  readonly apiId: string
  /** Only on `$disconnect`. */
  readonly disconnectStatusCode?: number | undefined
  /** Only on `$disconnect`. */
  readonly disconnectReason?: string | undefined
}

/**
 * A Lambda WebSocket event (`APIGatewayProxyWebsocketEventV2` in `@types/aws-lambda`, plus what API Gateway sends
 * beyond those types: `identity`, `headers` and the query string on `$connect`, the close code on `$disconnect`).
 *
 * @since 0.1.0
 * @category models
 */
export interface WebSocketEvent {
  readonly requestContext: WebSocketRequestContext
  /** The message text, on message events. */
  readonly body?: string | undefined
  /** Always `false`: clients can send text frames only. */
  readonly isBase64Encoded: boolean
  /** On `$connect` (the handshake's headers) and `$disconnect`. */
  readonly headers?: { readonly [name: string]: string | undefined } | undefined
  readonly multiValueHeaders?: { readonly [name: string]: Array<string> | undefined } | undefined
  /** On `$connect`, when the URL has a query string. */
  readonly queryStringParameters?: { readonly [name: string]: string | undefined } | undefined
  readonly multiValueQueryStringParameters?: { readonly [name: string]: Array<string> | undefined } | undefined
}

/**
 * The Lambda context passed as a handler's second argument (the fields of `Context` in `@types/aws-lambda`).
 *
 * @since 0.1.0
 * @category models
 */
export interface LambdaContext {
  readonly callbackWaitsForEmptyEventLoop: boolean
  readonly functionName: string
  readonly functionVersion: string
  readonly invokedFunctionArn: string
  readonly memoryLimitInMB: string
  readonly awsRequestId: string
  readonly logGroupName: string
  readonly logStreamName: string
  readonly getRemainingTimeInMillis: () => number
  readonly done: () => void
  readonly fail: () => void
  readonly succeed: () => void
}

/**
 * What a handler answers: a non-2xx `statusCode` on `$connect` rejects the handshake; a `body` on a message route
 * is sent back to the client as a text frame. A bare string is a body with status 200; nothing means 200.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandlerResult {
  readonly statusCode?: number | undefined
  readonly body?: string | undefined
  readonly headers?: { readonly [name: string]: boolean | number | string } | undefined
}

/**
 * The callback of a callback-style Lambda handler (a non-async function taking three arguments).
 *
 * @since 0.1.0
 * @category models
 */
export type HandlerCallback = (error?: unknown, result?: HandlerResult | string) => void

/**
 * A Lambda-style handler, invoked for `$connect`, `$disconnect`, `$default` and custom routes. As in Lambda, it
 * answers with a promise (async functions), a plain value, or, when it takes three arguments and returns no
 * promise, through the callback. Functions typed with `@types/aws-lambda` (`APIGatewayProxyWebsocketHandlerV2`)
 * and `WebSocketHandler.make` fit.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler = {
  // A method signature, so that parameters are compared bivariantly: handlers typed with `@types/aws-lambda`
  // (whose event type lacks `identity`, and whose callback is typed for its own result) are accepted.
  bivarianceHack(
    event: WebSocketEvent,
    context: LambdaContext,
    callback: HandlerCallback
  ): Promise<HandlerResult | string | void | undefined> | HandlerResult | string | void | undefined
}["bivarianceHack"]

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** 0 (the default) for any free port. */
  readonly port?: number | undefined
  /** Default `"127.0.0.1"`. */
  readonly host?: string | undefined
  /** Default `"local"`. */
  readonly stage?: string | undefined
  /** Invoked for `$connect`, `$disconnect`, `$default` and custom routes. Without one, every handshake succeeds. */
  readonly handler?: Handler | undefined
  /**
   * Custom route keys the handler serves. With it, a message whose `action` is not listed goes to `$default`;
   * without it, the handler's own `routeKeys` array when it has one (as `WebSocketHandler.make`'s handler does),
   * else any string `action` is used as the route key.
   */
  readonly routes?: ReadonlyArray<string> | undefined
  /** When set, every management request must carry a valid SigV4 signature for these credentials (403 otherwise). */
  readonly credentials?: Credentials | undefined
  /** The signing region the gateway expects. Default `"us-east-1"`. */
  readonly region?: string | undefined
  /** A connection without client frames for this long is closed with 1001. Default 10 minutes. */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** A connection is closed with 1001 after this long. Default 2 hours. */
  readonly maxDuration?: Duration.DurationInput | undefined
  /** Fault injection for management requests. */
  readonly faults?: Faults | undefined
}

/**
 * One management request as the gateway saw it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  /** The request target exactly as received (`req.url`). */
  readonly path: string
  /** The percent-decoded connection id, when the path had one. */
  readonly connectionId: string | undefined
  /** The status answered; `undefined` while in flight, and for dropped or hung requests. */
  readonly status: number | undefined
  readonly fault: FaultKind | undefined
  /** Whether a POST's body reached the client's socket. */
  readonly delivered: boolean
  readonly bodyBytes: number
  /** When the request arrived. */
  readonly time: Date
}

/**
 * Counters of management requests and connections since the start or the last `resetStats`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Management requests seen. */
  readonly total: number
  /** Management requests being served now. */
  readonly inFlight: number
  /** The most management requests served at once. */
  readonly peakInFlight: number
  /** Answers by HTTP status. */
  readonly byStatus: Readonly<Record<number, number>>
  /** POST bodies handed to a client socket. */
  readonly delivered: number
  readonly throttled: number
  readonly serverErrors: number
  /** Sockets destroyed by the `drop` fault (before or after the operation). */
  readonly dropped: number
  /** Of `dropped`, those destroyed after a POST's body was delivered. */
  readonly droppedAfterDelivery: number
  readonly hung: number
  readonly connectionsOpened: number
  readonly connectionsClosed: number
}

/**
 * A running gateway.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  readonly port: number
  readonly host: string
  readonly stage: string
  /** The signing region expected when `credentials` are set. */
  readonly region: string
  /** `ws://127.0.0.1:{port}/{stage}` */
  readonly wsUrl: string
  /** `http://127.0.0.1:{port}/{stage}`, ready for `Streamer.layer({ endpoint })`. */
  readonly endpoint: string
  /** The live connections, oldest first. */
  readonly connections: Effect.Effect<ReadonlyArray<ConnectionInfo>>
  /** One live connection. */
  readonly connection: (connectionId: string) => Effect.Effect<Option.Option<ConnectionInfo>>
  /** Every management request seen (the latest 100,000), oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  readonly stats: Effect.Effect<Stats>
  /** Clears the recorded requests and the counters (the peak restarts from what is in flight). */
  readonly resetStats: Effect.Effect<void>
  /** The faults in force. */
  readonly faults: Effect.Effect<Faults>
  /** Replaces the faults; a `seed` restarts the generator, without one the current sequence continues. */
  readonly setFaults: (faults: Faults | undefined) => Effect.Effect<void, LocalGatewayError>
  /**
   * Closes a connection from the server side (default code 1001, "Going away"), as API Gateway does at its limits.
   * False when no such connection is live.
   */
  readonly disconnect: (
    connectionId: string,
    options?: { readonly code?: number | undefined; readonly reason?: string | undefined }
  ) => Effect.Effect<boolean>
}

/**
 * The gateway could not start: invalid options, or the port could not be bound.
 *
 * @since 0.1.0
 * @category errors
 */
export class LocalGatewayError extends Data.TaggedError("LocalGatewayError")<{
  readonly reason: "InvalidOptions" | "Listen"
  readonly detail: string
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  override get message(): string {
    return this.reason === "Listen" ? `the local gateway could not listen: ${this.detail}` : this.detail
  }
}

/**
 * The handshake response header carrying the new connection's id: a local extra (API Gateway sends no such header)
 * so that a test client knows its own id.
 *
 * @since 0.1.0
 * @category constants
 */
export const connectionIdHeader: string = Server.connectionIdHeader

/**
 * The service tag, for providing a gateway with a layer.
 *
 * @since 0.1.0
 * @category tags
 */
export class LocalGateway extends Context.Tag("effect-streamer/LocalGateway")<LocalGateway, Handle>() {}

const invalid = (detail: string) => Effect.fail(new LocalGatewayError({ reason: "InvalidOptions", detail }))

const maxTimerMs = 2 ** 31 - 1

const durationMs = (name: string, input: Duration.DurationInput | undefined, fallback: Duration.Duration) => {
  const decoded = Duration.decodeUnknown(input ?? fallback)
  if (Option.isNone(decoded) || Duration.toMillis(decoded.value) <= 0) {
    return invalid(`${name} must be a positive duration`)
  }
  const ms = Duration.toMillis(decoded.value)
  return Effect.succeed(Number.isFinite(ms) && ms <= maxTimerMs ? Math.max(1, Math.round(ms)) : undefined)
}

/** The custom route keys a handler declares in a `routeKeys` array (reserved `$` keys left out). */
const routeKeysOf = (handler: Handler | undefined): ReadonlyArray<string> | undefined => {
  const keys: unknown = handler === undefined ? undefined : (handler as { readonly routeKeys?: unknown }).routeKeys
  return Array.isArray(keys) && keys.every((k) => typeof k === "string")
    ? keys.filter((k: string) => !k.startsWith("$"))
    : undefined
}

const resolveFaults = (faults: Faults | undefined) =>
  Either.match(Faults_.resolve(faults), { onLeft: invalid, onRight: Effect.succeed })

/**
 * Starts a gateway for the life of the scope: closing the scope closes every WebSocket (1001), every pending
 * request and the server.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Streamer } from "effect-streamer"
 * import { LocalGateway } from "effect-streamer/local"
 *
 * const program = Effect.gen(function* () {
 *   const gateway = yield* LocalGateway.make({ faults: { throttle: 0.1, seed: 42 } })
 *   yield* Effect.log(`connect clients to ${gateway.wsUrl}`)
 *   const [first] = yield* gateway.connections
 *   if (first) {
 *     yield* Streamer.postToConnection(first.connectionId, "hello").pipe(
 *       Effect.provide(Streamer.layer({ endpoint: gateway.endpoint }))
 *     )
 *   }
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Handle, LocalGatewayError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1"
    const port = options.port ?? 0
    const stage = options.stage ?? "local"
    const region = options.region ?? "us-east-1"
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535) return yield* invalid("port must be 0..65535")
    if (typeof host !== "string" || host.length === 0) return yield* invalid("host must be a non-empty string")
    if (typeof stage !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
      return yield* invalid("stage must be 1 to 128 letters, digits, '-' or '_'")
    }
    if (typeof region !== "string" || !/^[a-z0-9-]{1,64}$/.test(region)) {
      return yield* invalid("region must look like us-east-1")
    }
    if (options.handler !== undefined && typeof options.handler !== "function") {
      return yield* invalid("handler must be a function")
    }
    if (options.routes !== undefined && !options.routes.every((r) => typeof r === "string" && r.length > 0)) {
      return yield* invalid("routes must be non-empty strings")
    }
    const routes = options.routes ?? routeKeysOf(options.handler)
    let credentials: Server.Config["credentials"]
    if (options.credentials !== undefined) {
      const { accessKeyId, secretAccessKey } = options.credentials
      const secret = Redacted.isRedacted(secretAccessKey) ? Redacted.value(secretAccessKey) : secretAccessKey
      if (typeof accessKeyId !== "string" || accessKeyId.length === 0 || typeof secret !== "string" || !secret) {
        return yield* invalid("credentials need an accessKeyId and a secretAccessKey")
      }
      credentials = { accessKeyId, secretAccessKey: secret }
    }
    const idleTimeoutMs = yield* durationMs("idleTimeout", options.idleTimeout, Duration.minutes(10))
    const maxDurationMs = yield* durationMs("maxDuration", options.maxDuration, Duration.hours(2))
    let faults = options.faults ?? {}
    const resolvedFaults = yield* resolveFaults(options.faults)

    const runtime = yield* Effect.runtime<never>()
    const runLog = Runtime.runSync(runtime)
    const log: Server.Config["log"] = (level, message, cause) => {
      const parts = cause === undefined ? [message] : [message, Cause.die(cause)]
      const effect =
        level === "Debug"
          ? Effect.logDebug(...parts)
          : level === "Info"
            ? Effect.logInfo(...parts)
            : level === "Warning"
              ? Effect.logWarning(...parts)
              : Effect.logError(...parts)
      runLog(Effect.annotateLogs(effect, "service", "LocalGateway"))
    }

    const gateway = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          Server.start({
            host,
            port,
            stage,
            region,
            handler: options.handler,
            routes: routes === undefined ? undefined : new Set(routes),
            credentials,
            idleTimeoutMs,
            maxDurationMs,
            faults: resolvedFaults,
            log
          }),
        catch: (cause) =>
          new LocalGatewayError({
            reason: "Listen",
            detail: `${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
      }),
      (gateway) => Effect.promise(() => gateway.close())
    )
    const base = `${gateway.domainName}/${stage}`
    return LocalGateway.of({
      port: gateway.port,
      host,
      stage,
      region,
      wsUrl: `ws://${base}`,
      endpoint: `http://${base}`,
      connections: Effect.sync(gateway.connections),
      connection: (connectionId) =>
        Effect.sync(() => Option.fromNullable(gateway.connections().find((c) => c.connectionId === connectionId))),
      requests: Effect.sync(gateway.requests),
      stats: Effect.sync(gateway.stats),
      resetStats: Effect.sync(gateway.resetStats),
      faults: Effect.sync(() => faults),
      setFaults: (next) =>
        Effect.flatMap(resolveFaults(next), (resolved) =>
          Effect.sync(() => {
            faults = next ?? {}
            gateway.setFaults(resolved)
          })
        ),
      disconnect: (connectionId, options) =>
        Effect.sync(() => gateway.disconnect(connectionId, options?.code ?? 1001, options?.reason ?? "Going away"))
    })
  })

/**
 * A gateway as a layer, for `@effect/vitest`'s `layer(...)` or an app's dev wiring.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<LocalGateway, LocalGatewayError> =>
  Layer.scoped(LocalGateway, make(options))
