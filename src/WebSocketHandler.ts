/**
 * A Lambda handler for API Gateway WebSocket APIs whose routes are Effects: `$connect`, `$disconnect`, `$default`
 * and custom route keys, each given a typed event and the `Streamer` for the API that delivered it.
 *
 * @since 0.1.0
 */
import type { APIGatewayProxyWebsocketEventV2, Context as LambdaContext } from "aws-lambda"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type { ParseOptions } from "effect/SchemaAST"
import * as Scope from "effect/Scope"
import * as Endpoint from "./Endpoint.js"
import * as Streamer from "./Streamer.js"

/**
 * What a route may answer: a status code (a non-2xx answer to `$connect` rejects the handshake) and an optional
 * body (sent back to the client by a two-way route).
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly statusCode: number
  readonly body?: string | undefined
}

/**
 * What the handler answers to API Gateway.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly statusCode: number
  readonly body?: string
}

/**
 * The event a route receives: the Lambda event itself (`event.requestContext.connectionId` works as usual), with
 * typed accessors for what routes usually need. Only `body` differs: always a string, base64-decoded when API
 * Gateway encoded it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouteEvent extends Omit<APIGatewayProxyWebsocketEventV2, "body"> {
  /** The event as API Gateway delivered it. */
  readonly raw: APIGatewayProxyWebsocketEventV2
  /** The Lambda context, when the runtime passed one. */
  readonly lambdaContext: LambdaContext | undefined
  /** The route key API Gateway selected, e.g. `$connect` or `say` (even when the `$default` route runs it). */
  readonly routeKey: string
  /** `CONNECT`, `MESSAGE` or `DISCONNECT`. */
  readonly eventType: APIGatewayProxyWebsocketEventV2["requestContext"]["eventType"]
  /** The id of the connection that caused the event. */
  readonly connectionId: string
  /** API Gateway's request id. */
  readonly requestId: string
  /** The Management API endpoint the `Streamer` of this event posts to (see `Endpoint.fromWebSocketEvent`). */
  readonly endpoint: string
  /** The message as text: base64-decoded when API Gateway encoded it, `""` when there is none. */
  readonly body: string
  /** The message as bytes. */
  readonly bytes: Uint8Array
  /** The body parsed as JSON. */
  readonly json: Effect.Effect<unknown, ParseResult.ParseError>
  /** The body parsed as JSON and decoded with `schema` (`Schema.parseJson(schema)`). */
  readonly decode: <A, I, R>(
    schema: Schema.Schema<A, I, R>,
    options?: ParseOptions
  ) => Effect.Effect<A, ParseResult.ParseError, R>
  /** A request header of `$connect`, looked up without regard to case. */
  readonly header: (name: string) => Option.Option<string>
  /** A query string parameter of `$connect`. */
  readonly query: (name: string) => Option.Option<string>
}

/**
 * The event of the invocation in progress, provided to every route: for code deep inside a route that needs the
 * connection id or the body without having it passed down.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebSocketHandler } from "effect-streamer"
 *
 * const whoAmI = Effect.map(WebSocketHandler.Event, (event) => event.connectionId)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Event extends Context.Tag("effect-streamer/WebSocketHandler/Event")<Event, RouteEvent>() {}

/**
 * What the handler provides to every route by itself: the `Streamer` of the event's endpoint, the {@link Event},
 * and a `Scope` closed when the invocation ends.
 *
 * @since 0.1.0
 * @category models
 */
export type Provided = Streamer.Streamer | Event | Scope.Scope

/**
 * A route: an Effect answering one event. Returning nothing answers 200.
 *
 * @since 0.1.0
 * @category models
 */
export type Route<E = never, R = never> = (event: RouteEvent) => Effect.Effect<Response | void, E, R>

/**
 * The services the routes of a route table require, together.
 *
 * @since 0.1.0
 * @category type-level
 */
export type RoutesContext<Routes> = {
  [K in keyof Routes]: Routes[K] extends Route<infer _E, infer R> ? R : never
}[keyof Routes]

/**
 * The errors the routes of a route table may fail with, together.
 *
 * @since 0.1.0
 * @category type-level
 */
export type RoutesError<Routes> = {
  [K in keyof Routes]: Routes[K] extends Route<infer E, infer _R> ? E : never
}[keyof Routes]

/**
 * Options of the `Streamer` built for each endpoint: everything `Streamer.Options` takes but the endpoint, which
 * comes from the event. `region` also chooses the region of the endpoint derived behind a custom domain.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamerOptions = Omit<Streamer.Options, "endpoint">

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<Routes> {
  /**
   * Route key -> route. A message whose key has no route runs `$default`, else answers 404; `$connect` and
   * `$disconnect` without a route answer 200.
   */
  readonly routes: Routes
  /** Options of the `Streamer` built for each endpoint (transport, retry, timeout, credentials, region...). */
  readonly streamer?: StreamerOptions | undefined
  /**
   * Replaces how the `Streamer` of an endpoint is built (default `Streamer.layer({ ...streamer, endpoint })`);
   * for unit tests with `StreamerTest`, or another transport. Built once per endpoint, like the default.
   */
  readonly streamerLayer?: ((endpoint: string) => Layer.Layer<Streamer.Streamer, unknown>) | undefined
}

/**
 * The Lambda handler. Beside being callable, it tells which route keys it has and can release what it built.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handler {
  (event: APIGatewayProxyWebsocketEventV2, context?: LambdaContext): Promise<Result>
  /** The route keys of the route table, as given. */
  readonly routeKeys: ReadonlyArray<string>
  /**
   * Closes the per-endpoint `Streamer`s and the resources of `layer`; a later invocation builds them again.
   * Lambda never needs it; tests and hosts that reload handlers do.
   */
  readonly dispose: () => Promise<void>
}

const notFound: Result = { statusCode: 404 }
const badRequest: Result = { statusCode: 400 }
const serverError: Result = { statusCode: 500 }
const ok: Result = { statusCode: 200 }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const base64ToBytes = (input: string): Uint8Array => {
  const binary = atob(input.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, ""))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const parseJson = Schema.decodeUnknown(Schema.parseJson())

const lookup = (record: unknown, name: string, ignoreCase: boolean): Option.Option<string> => {
  if (typeof record !== "object" || record === null) return Option.none()
  const wanted = ignoreCase ? name.toLowerCase() : name
  for (const [key, value] of Object.entries(record)) {
    if ((ignoreCase ? key.toLowerCase() : key) === wanted && typeof value === "string") return Option.some(value)
  }
  return Option.none()
}

const makeRouteEvent = (
  raw: APIGatewayProxyWebsocketEventV2,
  lambdaContext: LambdaContext | undefined,
  endpoint: string
): RouteEvent => {
  let bytes: Uint8Array | undefined
  let body: string | undefined
  const getBytes = () => {
    if (bytes === undefined) {
      const input = typeof raw.body === "string" ? raw.body : ""
      bytes = raw.isBase64Encoded ? base64ToBytes(input) : encoder.encode(input)
    }
    return bytes
  }
  const getBody = () => {
    if (body === undefined) {
      const input = typeof raw.body === "string" ? raw.body : ""
      body = raw.isBase64Encoded ? decoder.decode(getBytes()) : input
    }
    return body
  }
  const requestContext = raw.requestContext
  return {
    ...raw,
    raw,
    lambdaContext,
    routeKey: requestContext.routeKey,
    eventType: requestContext.eventType,
    connectionId: requestContext.connectionId,
    requestId: requestContext.requestId,
    endpoint,
    get body() {
      return getBody()
    },
    get bytes() {
      return getBytes()
    },
    json: Effect.suspend(() => parseJson(getBody())),
    decode: (schema, options) =>
      Effect.suspend(() => Schema.decodeUnknown(Schema.parseJson(schema), options)(getBody())),
    header: (name) => lookup((raw as { readonly headers?: unknown }).headers, name, true),
    query: (name) => lookup(raw.queryStringParameters, name, false)
  }
}

/**
 * Shares one acquisition between concurrent callers and keeps its success; a failure is handed to the callers
 * waiting for it and then forgotten, so that the next call tries again.
 */
const memoSuccess = <A, E, R>(acquire: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  let cell: Deferred.Deferred<A, E> | undefined
  return Effect.suspend(() => {
    if (cell !== undefined) return Deferred.await(cell)
    const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
    cell = deferred
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.exit(restore(acquire)), (exit) => {
        if (Exit.isFailure(exit) && cell === deferred) cell = undefined
        return Deferred.done(deferred, exit)
      })
    ).pipe(Effect.zipRight(Deferred.await(deferred)))
  })
}

/** Runs `acquire` in a child of `scope`, closing the child when it fails. */
const acquireIn = <A, E, R>(
  scope: Scope.Scope,
  acquire: Effect.Effect<A, E, R | Scope.Scope>
): Effect.Effect<A, E, Exclude<R, Scope.Scope>> =>
  Effect.flatMap(Scope.fork(scope, ExecutionStrategy.sequential), (child) =>
    Effect.onExit(Scope.extend(acquire, child), (exit) =>
      Exit.isFailure(exit) ? Scope.close(child, exit) : Effect.void
    )
  )

interface State {
  readonly scope: Scope.CloseableScope
  readonly runtime: Effect.Effect<Runtime.Runtime<never>, unknown>
  readonly streamers: Map<string, Effect.Effect<Streamer.Service, unknown>>
}

const isResponse = (u: unknown): u is Response =>
  typeof u === "object" && u !== null && "statusCode" in u && typeof u.statusCode === "number"

const toResult = (value: Response | void): Effect.Effect<Result> => {
  if (!isResponse(value)) return Effect.succeed(ok)
  const { body, statusCode } = value
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return Effect.as(
      Effect.logError(`WebSocketHandler: the route answered an invalid status code ${statusCode}`),
      serverError
    )
  }
  return Effect.succeed(typeof body === "string" ? { statusCode, body } : { statusCode })
}

/** A route as the handler runs it: the services of `layer` come from the runtime, so only `Provided` is left. */
type AnyRoute = (event: RouteEvent) => Effect.Effect<Response | void, unknown, Provided>

const makeHandler = (options: {
  readonly routes: Readonly<Record<string, AnyRoute>>
  readonly layer?: Layer.Layer<never, unknown> | undefined
  readonly streamer?: StreamerOptions | undefined
  readonly streamerLayer?: ((endpoint: string) => Layer.Layer<Streamer.Streamer, unknown>) | undefined
}): Handler => {
  const routes = new Map<string, AnyRoute>()
  if (typeof options?.routes !== "object" || options.routes === null) {
    throw new TypeError("WebSocketHandler.make: routes must be an object of route key -> route")
  }
  for (const [key, route] of Object.entries(options.routes)) {
    if (typeof route !== "function") throw new TypeError(`WebSocketHandler.make: the route ${key} is not a function`)
    routes.set(key, route)
  }
  const layer = options.layer ?? Layer.empty
  const streamerOptions = options.streamer ?? {}
  const region = streamerOptions.region
  const buildStreamer = (endpoint: string): Effect.Effect<Streamer.Service, unknown, Scope.Scope> =>
    options.streamerLayer === undefined
      ? Streamer.make({ ...streamerOptions, endpoint })
      : Effect.map(Layer.build(options.streamerLayer(endpoint)), Context.get(Streamer.Streamer))

  const fresh = (): State => {
    const scope = Effect.runSync(Scope.make())
    return {
      scope,
      runtime: memoSuccess(acquireIn(scope, Layer.toRuntime(layer))),
      streamers: new Map()
    }
  }
  let state = fresh()

  const streamerFor = (current: State, endpoint: string): Effect.Effect<Streamer.Service, unknown> => {
    let streamer = current.streamers.get(endpoint)
    if (streamer === undefined) {
      streamer = memoSuccess(acquireIn(current.scope, buildStreamer(endpoint)))
      current.streamers.set(endpoint, streamer)
    }
    return streamer
  }

  const invoke = (
    current: State,
    runtime: Runtime.Runtime<never>,
    event: APIGatewayProxyWebsocketEventV2,
    context: LambdaContext | undefined
  ): Effect.Effect<Result> => {
    const routeKey = event.requestContext.routeKey
    // As in API Gateway, `$default` stands in for unmatched messages only: `$connect` and `$disconnect` without a
    // route of their own are accepted and ignored.
    const lifecycle = routeKey === "$connect" || routeKey === "$disconnect"
    const matched = routes.has(routeKey) ? routeKey : !lifecycle && routes.has("$default") ? "$default" : undefined
    const connectionId = String(event.requestContext.connectionId)
    const attributes: Record<string, unknown> = {
      "websocket.route_key": routeKey,
      "websocket.connection_id": connectionId,
      "websocket.event_type": event.requestContext.eventType
    }
    if (context?.awsRequestId !== undefined) attributes["faas.invocation_id"] = context.awsRequestId
    const runRoute = (route: AnyRoute, routeEvent: RouteEvent, streamer: Streamer.Service): Effect.Effect<Result> =>
      Effect.suspend(() => route(routeEvent)).pipe(
        Effect.scoped,
        Effect.provideService(Streamer.Streamer, streamer),
        Effect.provideService(Event, routeEvent),
        Effect.matchCauseEffect({
          onFailure: (cause) => Effect.as(Effect.logError("WebSocketHandler: the route failed", cause), serverError),
          onSuccess: toResult
        })
      )
    const run: Effect.Effect<Result> = Effect.suspend(() => {
      if (matched === undefined && lifecycle) return Effect.succeed(ok)
      if (matched === undefined) {
        return Effect.as(
          Effect.logWarning(`WebSocketHandler: no route for ${routeKey} and no $default route`),
          notFound
        )
      }
      const endpoint = Endpoint.fromWebSocketEvent(event, region === undefined ? undefined : { region })
      const routeEvent = makeRouteEvent(event, context, endpoint)
      const own = Context.getOption(runtime.context, Streamer.Streamer)
      const streamer = Option.isSome(own) ? Effect.succeed(own.value) : streamerFor(current, endpoint)
      return Effect.matchCauseEffect(streamer, {
        onFailure: (cause) =>
          Effect.as(
            Effect.logError(
              `WebSocketHandler: building the Streamer for ${endpoint} failed; it is built again on the next event`,
              cause
            ),
            serverError
          ),
        onSuccess: (streamer) => runRoute(routes.get(matched)!, routeEvent, streamer)
      })
    }).pipe(
      Effect.catchAllCause((cause) =>
        Effect.as(Effect.logError("WebSocketHandler: the invocation failed", cause), serverError)
      )
    )
    return run.pipe(
      Effect.annotateLogs({ routeKey, connectionId }),
      Effect.withSpan(`WebSocketHandler.${matched ?? routeKey}`, { kind: "server", attributes })
    )
  }

  const handler = async (event: APIGatewayProxyWebsocketEventV2, context?: LambdaContext): Promise<Result> => {
    const current = state
    if (typeof event?.requestContext?.routeKey !== "string") {
      await Effect.runPromise(Effect.logWarning("WebSocketHandler: not an API Gateway WebSocket event"))
      return badRequest
    }
    const runtime = await Effect.runPromiseExit(current.runtime)
    if (Exit.isFailure(runtime)) {
      await Effect.runPromise(
        Effect.logError(
          "WebSocketHandler: building the layer failed; it is built again on the next event",
          runtime.cause
        )
      )
      return serverError
    }
    return Runtime.runPromise(runtime.value)(invoke(current, runtime.value, event, context))
  }

  return Object.assign(handler, {
    routeKeys: Array.from(routes.keys()),
    dispose: () => {
      const previous = state
      state = fresh()
      return Effect.runPromise(Scope.close(previous.scope, Exit.void))
    }
  })
}

/**
 * Builds a Lambda handler from a table of routes.
 *
 * - The route is chosen by `requestContext.routeKey`; a message whose key has no route runs `$default`, or answers
 *   404 when there is none. `$connect` and `$disconnect` without a route of their own answer 200 without running
 *   `$default`, as API Gateway accepts connections when the API has no `$connect` route.
 * - A route returning nothing answers 200; a route returning `{ statusCode, body? }` answers that; a route that
 *   fails (an error, a defect or an interruption) answers 500 and its cause is logged with Effect's logger, never
 *   sent to the client.
 * - Every route gets the `Streamer` of the API that delivered the event (`Endpoint.fromWebSocketEvent`: custom
 *   domains post to the `execute-api` endpoint), built once per endpoint and kept until the Lambda environment
 *   ends; the {@link Event}; and a `Scope` closed when the invocation ends.
 * - `layer` provides the other services the routes need. It is built once, on the first event (so once per cold
 *   start); when building it fails the event answers 500 and the next event builds it again. Its loggers, tracer
 *   and other runtime settings apply to the routes. A `Streamer` in `layer` is used for every event instead of the
 *   per-endpoint ones.
 * - Each invocation runs in a span `WebSocketHandler.<route key>`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Streamer, WebSocketHandler } from "effect-streamer"
 *
 * const Say = Schema.Struct({ action: Schema.Literal("say"), text: Schema.String })
 *
 * export const handler = WebSocketHandler.make({
 *   routes: {
 *     $connect: () => Effect.log("connected"),
 *     say: (event) =>
 *       Effect.gen(function* () {
 *         const { text } = yield* event.decode(Say)
 *         yield* Streamer.postToConnection(event.connectionId, `you said: ${text}`)
 *       }),
 *     $default: () => Effect.succeed({ statusCode: 400, body: "unknown action" })
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: {
  <Routes extends { readonly [routeKey: string]: Route<unknown, Provided> }, LE = never>(
    options: Options<Routes> & { readonly layer?: Layer.Layer<never, LE> | undefined }
  ): Handler
  <Routes extends { readonly [routeKey: string]: Route<unknown, unknown> }, LE = never>(
    options: Options<Routes> & { readonly layer: Layer.Layer<NoInfer<Exclude<RoutesContext<Routes>, Provided>>, LE> }
  ): Handler
} = makeHandler as never
