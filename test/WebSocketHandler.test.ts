import { assert, describe, it } from "@effect/vitest"
import type { APIGatewayProxyWebsocketEventV2 } from "aws-lambda"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import * as LocalGateway from "../src/LocalGateway.js"
import * as Streamer from "../src/Streamer.js"
import * as StreamerTest from "../src/StreamerTest.js"
import * as WebSocketHandler from "../src/WebSocketHandler.js"
import * as WsClient from "./helpers/wsClient.js"

const alice = "L0SM9cOFvHcCIhw="
const bob = "ZDb-VclrIAMCJ3w="
const executeApi = "abc123def4.execute-api.us-west-2.amazonaws.com"

interface EventOptions {
  readonly connectionId?: string
  readonly domainName?: string
  readonly stage?: string
  readonly apiId?: string
  readonly body?: string
  readonly isBase64Encoded?: boolean
  readonly headers?: Record<string, string>
  readonly queryStringParameters?: Record<string, string>
}

/** An event shaped like API Gateway's (recorded from a real API, ids replaced). */
const event = (routeKey: string, options: EventOptions = {}): APIGatewayProxyWebsocketEventV2 => {
  const eventType = routeKey === "$connect" ? "CONNECT" : routeKey === "$disconnect" ? "DISCONNECT" : "MESSAGE"
  const base = {
    requestContext: {
      routeKey,
      messageId: "L0SM9dNXvHcCIhw=",
      eventType,
      extendedRequestId: "L0SM9GH2vHcFqHQ=",
      requestTime: "04/Dec/2026:10:00:00 +0000",
      messageDirection: "IN",
      stage: options.stage ?? "production",
      connectedAt: 1796378400000,
      requestTimeEpoch: 1796378400123,
      requestId: "L0SM9GH2vHcFqHQ=",
      domainName: options.domainName ?? executeApi,
      connectionId: options.connectionId ?? alice,
      apiId: options.apiId ?? "abc123def4"
    },
    isBase64Encoded: options.isBase64Encoded ?? false,
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.queryStringParameters !== undefined ? { queryStringParameters: options.queryStringParameters } : {})
  }
  return base as APIGatewayProxyWebsocketEventV2
}

/** An in-memory Streamer shared by every endpoint, recording the endpoints it was built for. */
const testStreamer = (connections: ReadonlyArray<string> = [alice, bob]) =>
  Effect.gen(function* () {
    const { control, service } = yield* StreamerTest.make({ connections })
    const built: Array<string> = []
    const streamerLayer = (endpoint: string) =>
      Layer.sync(Streamer.Streamer, () => {
        built.push(endpoint)
        return { ...service, endpoint }
      })
    return { control, service, built, streamerLayer }
  })

/** Disposes the handler when the test's scope closes. */
const managed = <H extends WebSocketHandler.Handler>(handler: H) =>
  Effect.as(
    Effect.addFinalizer(() => Effect.promise(() => handler.dispose())),
    handler
  )

const call = (handler: WebSocketHandler.Handler, e: APIGatewayProxyWebsocketEventV2) => Effect.promise(() => handler(e))

/** A layer that sends the routes' logs to an array (it also shows that the layer's logger applies to routes). */
const captureLogs = () => {
  const logs: Array<{ level: string; message: string; cause: string; annotations: Record<string, unknown> }> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    logs.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.join(" ") : String(message),
      cause: cause._tag === "Empty" ? "" : String(cause),
      annotations: Object.fromEntries(annotations)
    })
  })
  return { logs, layer: Logger.replace(Logger.defaultLogger, logger) }
}

class Counter extends Context.Tag("test/Counter")<Counter, { readonly next: () => number }>() {}

describe("WebSocketHandler", () => {
  it.scoped("a route's event is the Lambda event itself, body decoded", () =>
    Effect.gen(function* () {
      const { control, streamerLayer } = yield* testStreamer()
      const handler = yield* managed(
        WebSocketHandler.make({
          streamerLayer,
          routes: {
            echo: (e) =>
              Streamer.postToConnection(
                e.requestContext.connectionId,
                `${e.requestContext.stage}:${e.isBase64Encoded}:${e.body}:${e.raw.body}`
              )
          }
        })
      )
      const result = yield* call(
        handler,
        event("echo", { body: btoa("héllo".replace("é", "e")), isBase64Encoded: true })
      )
      assert.strictEqual(result.statusCode, 200)
      assert.deepStrictEqual(yield* control.messages(alice), [`production:true:hello:${btoa("hello")}`])
    })
  )

  it.scoped("dispatches on requestContext.routeKey", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const seen: Array<string> = []
      const record = (name: string) => (e: WebSocketHandler.RouteEvent) =>
        Effect.sync(() => void seen.push(`${name}:${e.routeKey}:${e.eventType}`))
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $connect: record("connect"),
            $disconnect: record("disconnect"),
            $default: record("default"),
            say: record("say")
          },
          streamerLayer
        })
      )
      assert.deepStrictEqual(handler.routeKeys, ["$connect", "$disconnect", "$default", "say"])
      for (const key of ["$connect", "say", "$default", "$disconnect"]) {
        assert.deepStrictEqual(yield* call(handler, event(key)), { statusCode: 200 })
      }
      assert.deepStrictEqual(seen, [
        "connect:$connect:CONNECT",
        "say:say:MESSAGE",
        "default:$default:MESSAGE",
        "disconnect:$disconnect:DISCONNECT"
      ])
    })
  )

  it.scoped("falls back to $default for a message route key without a route", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            say: () => Effect.succeed({ statusCode: 200, body: "say" }),
            $default: (e) => Effect.succeed({ statusCode: 200, body: `default for ${e.routeKey}` })
          },
          streamerLayer
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("shout")), { statusCode: 200, body: "default for shout" })
      assert.deepStrictEqual(yield* call(handler, event("say")), { statusCode: 200, body: "say" })
      assert.deepStrictEqual(yield* call(handler, event("$default")), { statusCode: 200, body: "default for $default" })
    })
  )

  it.scoped("accepts $connect and $disconnect without routes of their own, without running $default", () =>
    Effect.gen(function* () {
      const { built, streamerLayer } = yield* testStreamer()
      const ran: Array<string> = []
      const withDefault = yield* managed(
        WebSocketHandler.make({
          routes: { $default: (e) => Effect.sync(() => void ran.push(e.routeKey)) },
          streamerLayer
        })
      )
      const withNothing = yield* managed(WebSocketHandler.make({ routes: {}, streamerLayer }))
      for (const handler of [withDefault, withNothing]) {
        assert.deepStrictEqual(yield* call(handler, event("$connect")), { statusCode: 200 })
        assert.deepStrictEqual(yield* call(handler, event("$disconnect")), { statusCode: 200 })
      }
      assert.deepStrictEqual(ran, [])
      assert.deepStrictEqual(built, [], "no Streamer is needed")
      assert.deepStrictEqual(yield* call(withNothing, event("say")), { statusCode: 404 })
    })
  )

  it.scoped("answers 404 for a route key without a route when there is no $default, prototype keys included", () =>
    Effect.gen(function* () {
      const { built, streamerLayer } = yield* testStreamer()
      const handler = yield* managed(WebSocketHandler.make({ routes: { say: () => Effect.void }, streamerLayer }))
      for (const key of ["shout", "$default", "toString", "constructor", "__proto__", "hasOwnProperty", "$other"]) {
        assert.deepStrictEqual(yield* call(handler, event(key)), { statusCode: 404 }, key)
      }
      assert.deepStrictEqual(yield* call(handler, event("say")), { statusCode: 200 })
      assert.deepStrictEqual(built, [`https://${executeApi}/production`])
    })
  )

  it.scoped("answers 200 when a route returns nothing, and what a route returns otherwise", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $connect: () => Effect.succeed({ statusCode: 401, body: "token required" }),
            plain: () => Effect.void,
            accepted: () => Effect.succeed({ statusCode: 202 }),
            echo: (e) => Effect.succeed({ statusCode: 200, body: e.body })
          },
          streamerLayer
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("plain")), { statusCode: 200 })
      assert.deepStrictEqual(yield* call(handler, event("accepted")), { statusCode: 202 })
      assert.deepStrictEqual(yield* call(handler, event("$connect")), { statusCode: 401, body: "token required" })
      assert.deepStrictEqual(yield* call(handler, event("echo", { body: "héllo" })), { statusCode: 200, body: "héllo" })
    })
  )

  it.scoped(
    "answers 500 when a route fails, dies, throws or is interrupted, logging the cause but never sending it",
    () =>
      Effect.gen(function* () {
        const { streamerLayer } = yield* testStreamer()
        const { layer, logs } = captureLogs()
        const secret = "db password is hunter2"
        const handler = yield* managed(
          WebSocketHandler.make({
            routes: {
              fail: () => Effect.fail(new Error(secret)),
              die: () => Effect.die(new Error(secret)),
              throws: () => {
                throw new Error(secret)
              },
              syncThrows: () =>
                Effect.sync(() => {
                  throw new Error(secret)
                }),
              interrupted: () => Effect.interrupt,
              badStatus: () => Effect.succeed({ statusCode: 2000, body: secret })
            },
            layer,
            streamerLayer
          })
        )
        for (const key of ["fail", "die", "throws", "syncThrows", "interrupted", "badStatus"]) {
          const result = yield* call(handler, event(key, { connectionId: bob }))
          assert.deepStrictEqual(result, { statusCode: 500 }, key)
          assert.notInclude(JSON.stringify(result), secret)
        }
        const errors = logs.filter((l) => l.level === "ERROR")
        assert.strictEqual(errors.length, 6)
        for (const [i, key] of ["fail", "die", "throws", "syncThrows"].entries()) {
          assert.include(errors[i]!.cause, secret, key)
          assert.deepStrictEqual(errors[i]!.annotations, { routeKey: key, connectionId: bob })
        }
        assert.include(errors[4]!.cause, "interrupted")
        assert.include(errors[5]!.message, "invalid status code 2000")
      })
  )

  it.scoped("builds the layer once across many invocations, concurrent first ones included", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      let builds = 0
      let released = 0
      const CounterLive = Layer.scoped(
        Counter,
        Effect.acquireRelease(
          Effect.sleep("20 millis").pipe(
            Effect.zipRight(
              Effect.sync(() => {
                builds++
                let n = 0
                return { next: () => ++n }
              })
            )
          ),
          () => Effect.sync(() => void released++)
        )
      )
      const handler = WebSocketHandler.make({
        routes: { count: () => Effect.map(Counter, (c) => ({ statusCode: 200, body: String(c.next()) })) },
        layer: CounterLive,
        streamerLayer
      })
      const first = yield* Effect.all(
        Array.from({ length: 5 }, () => call(handler, event("count"))),
        { concurrency: "unbounded" }
      )
      for (let i = 0; i < 20; i++) yield* call(handler, event("count"))
      const last = yield* call(handler, event("count"))
      assert.strictEqual(builds, 1)
      assert.deepStrictEqual(first.map((r) => r.body).sort(), ["1", "2", "3", "4", "5"])
      assert.deepStrictEqual(last, { statusCode: 200, body: "26" })
      assert.strictEqual(released, 0)
      yield* Effect.promise(() => handler.dispose())
      assert.strictEqual(released, 1)
      assert.deepStrictEqual(yield* call(handler, event("count")), { statusCode: 200, body: "1" })
      assert.strictEqual(builds, 2)
      yield* Effect.promise(() => handler.dispose())
    })
  )

  it.scoped("answers 500 when building the layer fails, and builds it again on the next invocation", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      let attempts = 0
      let released = 0
      const Flaky = Layer.scoped(
        Counter,
        Effect.gen(function* () {
          // a resource acquired before the failure must be released with the failed attempt
          yield* Effect.acquireRelease(Effect.void, () => Effect.sync(() => void released++))
          attempts++
          if (attempts <= 2) return yield* Effect.fail(new Error(`attempt ${attempts} failed`))
          return { next: () => attempts }
        })
      )
      const ran: Array<string> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: { $default: (e) => Effect.flatMap(Counter, () => Effect.sync(() => void ran.push(e.routeKey))) },
          layer: Flaky,
          streamerLayer
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("a")), { statusCode: 500 })
      assert.strictEqual(released, 1)
      assert.deepStrictEqual(yield* call(handler, event("b")), { statusCode: 500 })
      assert.deepStrictEqual(yield* call(handler, event("c")), { statusCode: 200 })
      assert.deepStrictEqual(yield* call(handler, event("d")), { statusCode: 200 })
      assert.strictEqual(attempts, 3)
      assert.strictEqual(released, 2)
      assert.deepStrictEqual(ran, ["c", "d"])
    })
  )

  it.scoped("builds one Streamer per endpoint and reuses it", () =>
    Effect.gen(function* () {
      const { built, streamerLayer } = yield* testStreamer()
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: { $default: () => Effect.map(Streamer.Streamer, (s) => ({ statusCode: 200, body: s.endpoint })) },
          streamerLayer
        })
      )
      const other = "xyz987uvw6.execute-api.eu-central-1.amazonaws.com"
      const results = yield* Effect.all(
        [
          call(handler, event("m")),
          call(handler, event("m")),
          call(handler, event("m", { domainName: other, stage: "dev" })),
          call(handler, event("m", { domainName: other, stage: "dev" }))
        ],
        { concurrency: "unbounded" }
      )
      for (let i = 0; i < 5; i++) yield* call(handler, event("m", { connectionId: i % 2 ? alice : bob }))
      assert.deepStrictEqual(
        results.map((r) => r.body),
        [
          `https://${executeApi}/production`,
          `https://${executeApi}/production`,
          `https://${other}/dev`,
          `https://${other}/dev`
        ]
      )
      assert.deepStrictEqual(built.slice().sort(), [`https://${executeApi}/production`, `https://${other}/dev`].sort())
    })
  )

  it.scoped("answers 500 when building a Streamer fails, and tries again on the next event", () =>
    Effect.gen(function* () {
      const { service } = yield* StreamerTest.make({ connections: [alice] })
      let attempts = 0
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: { $default: () => Effect.void },
          streamerLayer: () =>
            Layer.effect(
              Streamer.Streamer,
              Effect.suspend(() => (++attempts === 1 ? Effect.fail("no credentials") : Effect.succeed(service)))
            )
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("m")), { statusCode: 500 })
      assert.deepStrictEqual(yield* call(handler, event("m")), { statusCode: 200 })
      assert.deepStrictEqual(yield* call(handler, event("m")), { statusCode: 200 })
      assert.strictEqual(attempts, 2)
    })
  )

  it.scoped("behind a custom domain, posts to the execute-api endpoint of the API", () =>
    Effect.gen(function* () {
      const { built, control, streamerLayer } = yield* testStreamer()
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $default: (e) =>
              Effect.gen(function* () {
                yield* Streamer.postToConnection(e.connectionId, `endpoint ${e.endpoint}`)
              })
          },
          streamer: { region: "eu-west-1" },
          streamerLayer
        })
      )
      const recorded = event("$default", { domainName: "ws.example.com", stage: "production", apiId: "k9ab12cd34" })
      assert.deepStrictEqual(yield* call(handler, recorded), { statusCode: 200 })
      const expected = "https://k9ab12cd34.execute-api.eu-west-1.amazonaws.com/production"
      assert.deepStrictEqual(built, [expected])
      assert.deepStrictEqual(yield* control.messages(alice), [`endpoint ${expected}`])
    })
  )

  it.scoped("builds the real Streamer for the event's endpoint when no streamerLayer is given", () =>
    Effect.gen(function* () {
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $default: () =>
              Effect.map(Streamer.Streamer, (s) => ({ statusCode: 200, body: `${s.endpoint} ${s.region}` }))
          },
          streamer: { region: "ap-southeast-2", retry: false, timeout: "2 seconds" }
        })
      )
      const custom = event("m", { domainName: "chat.example.org", stage: "v1", apiId: "q1w2e3r4t5" })
      assert.deepStrictEqual(yield* call(handler, custom), {
        statusCode: 200,
        body: "https://q1w2e3r4t5.execute-api.ap-southeast-2.amazonaws.com/v1 ap-southeast-2"
      })
      const local = event("m", { domainName: "127.0.0.1:3001", stage: "local", apiId: "local" })
      assert.deepStrictEqual(yield* call(handler, local), {
        statusCode: 200,
        body: "http://127.0.0.1:3001/local ap-southeast-2"
      })
    })
  )

  it.scoped("uses a Streamer provided by layer for every event instead of building one per endpoint", () =>
    Effect.gen(function* () {
      const { control, service } = yield* StreamerTest.make({ connections: [alice] })
      let streamerLayerCalls = 0
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: { $default: (e) => Streamer.postToConnection(e.connectionId, "from the layer's Streamer") },
          layer: Layer.succeed(Streamer.Streamer, service),
          streamerLayer: () => {
            streamerLayerCalls++
            return Layer.die("unused")
          }
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("m")), { statusCode: 200 })
      assert.deepStrictEqual(yield* call(handler, event("m", { domainName: "other.example.com" })), { statusCode: 200 })
      assert.strictEqual(streamerLayerCalls, 0)
      assert.deepStrictEqual(yield* control.messages(alice), ["from the layer's Streamer", "from the layer's Streamer"])
    })
  )

  it.scoped("posts through the provided Streamer; an unhandled GoneError answers 500", () =>
    Effect.gen(function* () {
      const { control, streamerLayer } = yield* testStreamer([alice])
      const { layer, logs } = captureLogs()
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: { $default: (e) => Streamer.postToConnection(e.connectionId, `echo: ${e.body}`) },
          layer,
          streamerLayer
        })
      )
      assert.deepStrictEqual(yield* call(handler, event("m", { body: "hi" })), { statusCode: 200 })
      assert.deepStrictEqual(yield* control.messages(alice), ["echo: hi"])
      assert.deepStrictEqual(yield* call(handler, event("m", { connectionId: bob })), { statusCode: 500 })
      assert.include(logs.find((l) => l.level === "ERROR")!.cause, "GoneError")
    })
  )

  it.scoped("decodes the body with a Schema; a decoding failure is a ParseError the route can handle", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const { layer, logs } = captureLogs()
      const Say = Schema.Struct({ action: Schema.Literal("say"), text: Schema.String.pipe(Schema.minLength(1)) })
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            say: (e) =>
              e.decode(Say).pipe(
                Effect.map((m) => ({ statusCode: 200, body: `text=${m.text}` })),
                Effect.catchTag("ParseError", () => Effect.succeed({ statusCode: 400, body: "bad message" }))
              ),
            strict: (e) => Effect.asVoid(e.decode(Say)),
            json: (e) => Effect.map(e.json, (j) => ({ statusCode: 200, body: typeof j }))
          },
          layer,
          streamerLayer
        })
      )
      const say = (body: string) => call(handler, event("say", { body }))
      assert.deepStrictEqual(yield* say(`{"action":"say","text":"hi"}`), { statusCode: 200, body: "text=hi" })
      assert.deepStrictEqual(yield* say(`{"action":"say","text":""}`), { statusCode: 400, body: "bad message" })
      assert.deepStrictEqual(yield* say(`{"action":"say"`), { statusCode: 400, body: "bad message" })
      assert.deepStrictEqual(yield* say(`[1]`), { statusCode: 400, body: "bad message" })
      assert.deepStrictEqual(yield* call(handler, event("say")), { statusCode: 400, body: "bad message" })
      const strict = yield* call(handler, event("strict", { body: `{"action":"say","text":42}` }))
      assert.deepStrictEqual(strict, { statusCode: 500 })
      assert.include(logs.find((l) => l.level === "ERROR")!.cause, "ParseError")
      assert.deepStrictEqual(yield* call(handler, event("json", { body: `{"a":1}` })), {
        statusCode: 200,
        body: "object"
      })
      assert.deepStrictEqual(yield* call(handler, event("json", { body: "nope" })), { statusCode: 500 })
    })
  )

  it.scoped("gives routes the body (base64-decoded when encoded), bytes, headers and query parameters", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const seen: Array<unknown> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $connect: (e) =>
              Effect.sync(() => {
                seen.push([
                  e.header("authorization"),
                  e.header("X-MISSING"),
                  e.query("room"),
                  e.query("ROOM"),
                  e.body,
                  e.connectionId,
                  e.requestId
                ])
              }),
            $default: (e) =>
              Effect.gen(function* () {
                const decoded = yield* e.decode(Schema.Struct({ text: Schema.String }))
                seen.push([e.body, Array.from(e.bytes), decoded.text, e.header("authorization")])
              })
          },
          streamerLayer
        })
      )
      const connect = event("$connect", {
        headers: { Authorization: "Bearer t0ken", Host: executeApi },
        queryStringParameters: { room: "lobby" }
      })
      assert.deepStrictEqual(yield* call(handler, connect), { statusCode: 200 })
      const text = `{"text":"é"}`
      const encoded = btoa(String.fromCharCode(...new TextEncoder().encode(text)))
      const message = event("m", { body: encoded, isBase64Encoded: true })
      assert.deepStrictEqual(yield* call(handler, message), { statusCode: 200 })
      assert.deepStrictEqual(seen, [
        [
          Option.some("Bearer t0ken"),
          Option.none(),
          Option.some("lobby"),
          Option.none(),
          "",
          alice,
          "L0SM9GH2vHcFqHQ="
        ],
        [text, Array.from(new TextEncoder().encode(text)), "é", Option.none()]
      ])
    })
  )

  it.scoped("provides the Event tag and a Scope closed when the invocation ends", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const order: Array<string> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $default: (e) =>
              Effect.gen(function* () {
                const fromTag = yield* WebSocketHandler.Event
                yield* Effect.addFinalizer(() => Effect.sync(() => void order.push("finalizer")))
                order.push(fromTag === e ? "same event" : "different event")
              })
          },
          streamerLayer
        })
      )
      yield* call(handler, event("m"))
      order.push("answered")
      assert.deepStrictEqual(order, ["same event", "finalizer", "answered"])
    })
  )

  it.scoped("runs each invocation in a span WebSocketHandler.<route key>", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const native = yield* Effect.tracer
      const spans: Array<{ name: string; attributes: Record<string, unknown> }> = []
      const tracer = Tracer.make({
        context: native.context,
        span: (name, parent, context, links, startTime, kind) => {
          const span = native.span(name, parent, context, links, startTime, kind)
          const attributes: Record<string, unknown> = {}
          spans.push({ name, attributes })
          const attribute = span.attribute.bind(span)
          return Object.assign(span, {
            attribute: (key: string, value: unknown) => {
              attributes[key] = value
              attribute(key, value)
            }
          })
        }
      })
      const parents: Array<string> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            say: () =>
              Effect.map(Effect.currentSpan, (s) => void parents.push(s.name)).pipe(Effect.catchAll(() => Effect.void)),
            $default: () => Effect.void
          },
          layer: Layer.setTracer(tracer),
          streamerLayer
        })
      )
      yield* call(handler, event("say"))
      yield* call(handler, event("shout", { connectionId: bob }))
      yield* call(handler, event("$connect"))
      const names = spans.map((s) => s.name).filter((n) => n.startsWith("WebSocketHandler."))
      assert.deepStrictEqual(names, ["WebSocketHandler.say", "WebSocketHandler.$default", "WebSocketHandler.$connect"])
      assert.deepStrictEqual(parents, ["WebSocketHandler.say"])
      const second = spans.find((s) => s.name === "WebSocketHandler.$default")!
      assert.strictEqual(second.attributes["websocket.route_key"], "shout")
      assert.strictEqual(second.attributes["websocket.connection_id"], bob)
    })
  )

  it.scoped("answers 400 to something that is not a WebSocket event", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      let ran = 0
      const handler = yield* managed(
        WebSocketHandler.make({ routes: { $default: () => Effect.sync(() => void ran++) }, streamerLayer })
      )
      for (const bad of [{}, { requestContext: {} }, null, { requestContext: { routeKey: 3 } }]) {
        assert.deepStrictEqual(yield* call(handler, bad as never), { statusCode: 400 })
      }
      assert.strictEqual(ran, 0)
    })
  )

  it.scoped("needs the services of the routes from layer (a type error without it)", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const routes = { count: () => Effect.map(Counter, (c) => ({ statusCode: 200, body: String(c.next()) })) }
      // @ts-expect-error Counter is not provided
      const missing = yield* managed(WebSocketHandler.make({ routes, streamerLayer }))
      // @ts-expect-error the layer provides something else
      const wrong = yield* managed(WebSocketHandler.make({ routes, streamerLayer, layer: Layer.empty }))
      const provided = yield* managed(
        WebSocketHandler.make({ routes, streamerLayer, layer: Layer.succeed(Counter, { next: () => 7 }) })
      )
      assert.deepStrictEqual(yield* call(missing, event("count")), { statusCode: 500 })
      assert.deepStrictEqual(yield* call(wrong, event("count")), { statusCode: 500 })
      assert.deepStrictEqual(yield* call(provided, event("count")), { statusCode: 200, body: "7" })
    })
  )

  it.live("shares one in-flight invocation's build with concurrent ones without blocking later events", () =>
    Effect.gen(function* () {
      const { streamerLayer } = yield* testStreamer()
      const gate = yield* Deferred.make<void>()
      let builds = 0
      const Slow = Layer.effect(
        Counter,
        Effect.zipRight(
          Effect.sync(() => void builds++),
          Effect.as(Deferred.await(gate), { next: () => 1 })
        )
      )
      const handler = WebSocketHandler.make({
        routes: { $default: () => Effect.asVoid(Counter) },
        layer: Slow,
        streamerLayer
      })
      const pending = [handler(event("a")), handler(event("b")), handler(event("c"))]
      yield* Effect.sleep("10 millis")
      assert.strictEqual(builds, 1)
      yield* Deferred.succeed(gate, void 0)
      const results = yield* Effect.promise(() => Promise.all(pending))
      assert.deepStrictEqual(results, [{ statusCode: 200 }, { statusCode: 200 }, { statusCode: 200 }])
      assert.strictEqual(builds, 1)
      yield* Effect.promise(() => handler.dispose())
    })
  )
})

describe("WebSocketHandler through the local gateway (real ws clients, real transport)", () => {
  it.scopedLive("posts back to the gateway's endpoint, answers two-way routes, and rejects a handshake", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $connect: (e) =>
              Effect.sync(() => void events.push(`connect ${e.endpoint}`)).pipe(
                Effect.zipRight(
                  e.query("token").pipe(
                    Option.filter((token) => token === "let-me-in"),
                    Option.match({
                      onNone: () => Effect.succeed({ statusCode: 401, body: "token required" }),
                      onSome: () => Effect.void
                    })
                  )
                )
              ),
            $disconnect: (e) => Effect.sync(() => void events.push(`disconnect ${e.connectionId}`)),
            echo: (e) =>
              Effect.gen(function* () {
                const { text } = yield* e.decode(Schema.Struct({ text: Schema.String }))
                yield* Streamer.postToConnection(e.connectionId, `posted: ${text}`)
              }),
            ping: () => Effect.succeed({ statusCode: 200, body: "pong" }),
            $default: (e) => Effect.fail(new Error(`secret detail for ${e.routeKey}`))
          }
        })
      )
      const gateway = yield* LocalGateway.make({ handler, routes: handler.routeKeys })

      const rejected = yield* Effect.flip(WsClient.connect(gateway.wsUrl))
      assert.strictEqual(rejected.status, 401)
      assert.strictEqual(rejected.body, "token required")

      const client = yield* WsClient.connect(`${gateway.wsUrl}?token=let-me-in`)
      assert.deepStrictEqual(events, [`connect ${gateway.endpoint}`, `connect ${gateway.endpoint}`])
      yield* client.send(JSON.stringify({ action: "echo", text: "héllo" }))
      assert.deepStrictEqual(
        (yield* client.waitFor(1)).map((m) => m.text),
        ["posted: héllo"]
      )
      yield* client.send(JSON.stringify({ action: "ping" }))
      assert.deepStrictEqual((yield* client.waitFor(2)).map((m) => m.text)[1], "pong")
      // a failing route answers 500 without a body: the client receives nothing, the detail stays in the logs
      yield* client.send(JSON.stringify({ action: "unknown" }))
      yield* client.send(JSON.stringify({ action: "echo", text: "after the failure" }))
      const texts = (yield* client.waitFor(3)).map((m) => m.text)
      assert.deepStrictEqual(texts[2], "posted: after the failure")
      assert.isFalse(texts.some((t) => t.includes("secret")))

      yield* client.close(1000)
      yield* client.closed
      // $disconnect is invoked after the close, asynchronously
      yield* Effect.suspend(() =>
        events.includes(`disconnect ${client.connectionId}`) ? Effect.void : Effect.fail("no $disconnect yet")
      ).pipe(Effect.retry(Schedule.spaced("10 millis").pipe(Schedule.upTo("5 seconds"))))
    })
  )

  it.scopedLive("gets GoneError when posting to a connection during its own $connect, as on AWS", () =>
    Effect.gen(function* () {
      const during: Array<string> = []
      const handler = yield* managed(
        WebSocketHandler.make({
          routes: {
            $connect: (e) =>
              Streamer.postToConnection(e.connectionId, "too early").pipe(
                Effect.catchTag("GoneError", (error) => Effect.sync(() => void during.push(error._tag)))
              ),
            $default: (e) => Streamer.postToConnection(e.connectionId, "now it works"),
            $disconnect: () => Effect.void
          },
          streamer: { retry: false }
        })
      )
      const gateway = yield* LocalGateway.make({ handler })
      const client = yield* WsClient.connect(gateway.wsUrl)
      assert.deepStrictEqual(during, ["GoneError"])
      yield* client.send("anything")
      assert.deepStrictEqual(
        (yield* client.waitFor(1)).map((m) => m.text),
        ["now it works"]
      )
    })
  )
})
