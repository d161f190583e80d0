import { assert, describe, it } from "@effect/vitest"
import type {
  APIGatewayProxyResultV2,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayProxyWebsocketHandlerV2,
  Context
} from "aws-lambda"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Endpoint from "../src/Endpoint.js"
import * as LocalGateway from "../src/LocalGateway.js"
import * as WsClient from "./helpers/wsClient.js"

const idPattern = /^[A-Za-z0-9_-]{15}=$/
const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

interface Invocation {
  readonly event: LocalGateway.WebSocketEvent
  readonly context: LocalGateway.LambdaContext
}

/** A handler that records every invocation and answers with `respond`. */
const recorder = (
  respond: (event: LocalGateway.WebSocketEvent) => ReturnType<LocalGateway.Handler> = () => undefined
) => {
  const invocations: Array<Invocation> = []
  const handler: LocalGateway.Handler = (event, context) => {
    invocations.push({ event, context })
    return respond(event)
  }
  const waitFor = (predicate: (event: LocalGateway.WebSocketEvent) => boolean) =>
    Effect.gen(function* () {
      for (;;) {
        const found = invocations.find((i) => predicate(i.event))
        if (found) return found
        yield* sleep(5)
      }
    })
  const disconnectOf = (connectionId: string) =>
    waitFor((e) => e.requestContext.routeKey === "$disconnect" && e.requestContext.connectionId === connectionId)
  return { handler, invocations, waitFor, disconnectOf }
}

describe("LocalGateway routes", () => {
  it.scopedLive("$connect receives API Gateway's event: request context, identity, headers, query string", () =>
    Effect.gen(function* () {
      const rec = recorder()
      const gateway = yield* LocalGateway.make({ handler: rec.handler, stage: "dev" })
      const before = Date.now()
      const client = yield* WsClient.connect(`${gateway.wsUrl}?token=abc&tag=1&tag=2`, {
        headers: { "User-Agent": "route-test/2.0", "X-Custom": "yes" }
      })
      const [{ context, event }] = rec.invocations as [Invocation]
      const rc = event.requestContext
      assert.strictEqual(rc.routeKey, "$connect")
      assert.strictEqual(rc.eventType, "CONNECT")
      assert.strictEqual(rc.connectionId, client.connectionId)
      assert.strictEqual(rc.domainName, `127.0.0.1:${gateway.port}`)
      assert.strictEqual(rc.stage, "dev")
      assert.strictEqual(rc.apiId, "local")
      assert.strictEqual(rc.messageDirection, "IN")
      assert.match(rc.requestId, idPattern)
      assert.strictEqual(rc.extendedRequestId, rc.requestId)
      assert.match(rc.requestTime, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/)
      assert.isAtLeast(rc.connectedAt, before)
      assert.isAtLeast(rc.requestTimeEpoch, rc.connectedAt)
      assert.deepStrictEqual(rc.identity, { sourceIp: "127.0.0.1", userAgent: "route-test/2.0" })
      assert.isFalse("messageId" in rc)
      assert.isFalse("disconnectStatusCode" in rc)
      assert.strictEqual(event.headers?.["User-Agent"], "route-test/2.0")
      assert.strictEqual(event.headers?.["X-Custom"], "yes")
      assert.strictEqual(event.headers?.["Host"], `127.0.0.1:${gateway.port}`)
      assert.strictEqual(event.headers?.["X-Forwarded-For"], "127.0.0.1")
      assert.deepStrictEqual(event.multiValueHeaders?.["X-Custom"], ["yes"])
      assert.deepStrictEqual(event.queryStringParameters, { token: "abc", tag: "2" })
      assert.deepStrictEqual(event.multiValueQueryStringParameters, { token: ["abc"], tag: ["1", "2"] })
      assert.isFalse(event.isBase64Encoded)
      assert.isUndefined(event.body)
      // The event leads back to this gateway's Management API.
      assert.strictEqual(Endpoint.fromWebSocketEvent(event), gateway.endpoint)
      assert.isString(context.awsRequestId)
      assert.strictEqual(context.functionName, "effect-streamer-local")
      assert.include(context.invokedFunctionArn, ":us-east-1:")
      assert.isAbove(context.getRemainingTimeInMillis(), 0)
    })
  )

  it.scopedLive("messages: MESSAGE events routed by body.action, else $default", () =>
    Effect.gen(function* () {
      const rec = recorder()
      const gateway = yield* LocalGateway.make({ handler: rec.handler })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const bodies = [
        '{"action":"sendMessage","text":"hi"}',
        "plain text",
        '{"action":5}',
        '["action"]',
        '{"action":""}'
      ]
      for (const body of bodies) yield* client.send(body)
      yield* rec.waitFor((e) => e.body === bodies[bodies.length - 1])
      const messages = rec.invocations.filter((i) => i.event.requestContext.eventType === "MESSAGE").map((i) => i.event)
      assert.deepStrictEqual(
        messages.map((e) => [e.requestContext.routeKey, e.body]),
        [
          ["sendMessage", bodies[0]],
          ["$default", bodies[1]],
          ["$default", bodies[2]],
          ["$default", bodies[3]],
          ["$default", bodies[4]]
        ]
      )
      const first = messages[0]!.requestContext
      assert.match(first.messageId!, idPattern)
      assert.strictEqual(first.connectionId, client.connectionId)
      assert.deepStrictEqual(first.identity, { sourceIp: "127.0.0.1" })
      assert.isFalse(messages[0]!.isBase64Encoded)
      assert.notStrictEqual(messages[0]!.requestContext.messageId, messages[1]!.requestContext.messageId)
    })
  )

  it.scopedLive("with routes (or a handler's routeKeys), an unlisted action goes to $default", () =>
    Effect.gen(function* () {
      const rec = recorder()
      const gateway = yield* LocalGateway.make({ handler: rec.handler, routes: ["join"] })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send('{"action":"join"}')
      yield* client.send('{"action":"leave"}')
      yield* client.send('{"action":"$connect"}')
      yield* rec.waitFor((e) => e.body === '{"action":"$connect"}')
      assert.deepStrictEqual(
        rec.invocations.slice(1).map((i) => i.event.requestContext.routeKey),
        ["join", "$default", "$default"]
      )

      // A handler declaring its route table (as WebSocketHandler.make's does) needs no `routes`.
      const declared = recorder()
      const withKeys = Object.assign(declared.handler, { routeKeys: ["$connect", "$default", "say"] })
      const other = yield* LocalGateway.make({ handler: withKeys })
      const second = yield* WsClient.connect(other.wsUrl)
      yield* second.send('{"action":"say"}')
      yield* second.send('{"action":"shout"}')
      yield* declared.waitFor((e) => e.body === '{"action":"shout"}')
      assert.deepStrictEqual(
        declared.invocations.slice(1).map((i) => i.event.requestContext.routeKey),
        ["say", "$default"]
      )
    })
  )

  it.scopedLive("a route's body goes back to the client as a text frame", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        handler: async (event) => {
          if (event.requestContext.eventType !== "MESSAGE") return { statusCode: 200 }
          if (event.body === "silent") return { statusCode: 200 }
          if (event.body === "string") return "a bare string"
          return { statusCode: 200, body: `${event.requestContext.routeKey}:${event.body}` }
        }
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send("silent")
      yield* client.send('{"action":"ping"}')
      yield* client.send("string")
      const messages = yield* client.waitFor(2)
      assert.deepStrictEqual(
        messages.map((m) => [m.text, m.isBinary]),
        [
          ['ping:{"action":"ping"}', false],
          ["a bare string", false]
        ]
      )
    })
  )

  it.scopedLive("a failing route sends API Gateway's error message; the connection stays open", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        handler: (event) => {
          if (event.body === "boom") throw new Error("handler exploded")
          if (event.body === "reject") return Promise.reject(new Error("rejected"))
          return event.requestContext.eventType === "MESSAGE" ? { body: "fine" } : undefined
        }
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send("boom")
      const [error] = yield* client.waitFor(1)
      const body = JSON.parse(error!.text) as Record<string, string>
      assert.deepStrictEqual(Object.keys(body).sort(), ["connectionId", "message", "requestId"])
      assert.strictEqual(body.message, "Internal server error")
      assert.strictEqual(body.connectionId, client.connectionId)
      assert.notInclude(error!.text, "exploded")
      yield* client.send("reject")
      yield* client.send("ok")
      // Invocations run concurrently, as in API Gateway: replies may come in either order.
      const texts = (yield* client.waitFor(3)).slice(1).map((m) => m.text)
      assert.include(texts, "fine")
      const other = JSON.parse(texts.find((t) => t !== "fine")!) as Record<string, string>
      assert.strictEqual(other.message, "Internal server error")
      assert.notStrictEqual(other.requestId, body.requestId)
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None))
  )

  it.scopedLive("$disconnect reports the close code and reason, whichever side closed", () =>
    Effect.gen(function* () {
      const rec = recorder()
      const gateway = yield* LocalGateway.make({ handler: rec.handler, idleTimeout: "200 millis" })
      const byClient = yield* WsClient.connect(gateway.wsUrl)
      const bare = yield* WsClient.connect(gateway.wsUrl)
      const deleted = yield* WsClient.connect(gateway.wsUrl)
      const binary = yield* WsClient.connect(gateway.wsUrl)
      const kicked = yield* WsClient.connect(gateway.wsUrl)
      yield* byClient.close(4000, "bye")
      yield* bare.close()
      yield* WsClient.request(gateway.endpoint, {
        method: "DELETE",
        path: `/local/@connections/${encodeURIComponent(deleted.connectionId)}`
      })
      yield* binary.send(new Uint8Array([1]), { binary: true })
      yield* gateway.disconnect(kicked.connectionId)
      const idle = yield* WsClient.connect(gateway.wsUrl)
      const codeOf = (client: WsClient.Client) =>
        rec
          .disconnectOf(client.connectionId)
          .pipe(
            Effect.map(({ event }) => [
              event.requestContext.disconnectStatusCode,
              event.requestContext.disconnectReason
            ])
          )
      assert.deepStrictEqual(yield* codeOf(byClient), [4000, "bye"])
      assert.deepStrictEqual(yield* codeOf(bare), [1005, "Client-side close frame status not set"])
      assert.deepStrictEqual((yield* codeOf(deleted))[0], 1000)
      assert.deepStrictEqual((yield* codeOf(binary))[0], 1003)
      assert.deepStrictEqual(yield* codeOf(kicked), [1001, "Going away"])
      assert.deepStrictEqual(yield* codeOf(idle), [1001, "Going away"])
      const { event } = yield* rec.disconnectOf(byClient.connectionId)
      assert.strictEqual(event.requestContext.eventType, "DISCONNECT")
      assert.strictEqual(event.requestContext.routeKey, "$disconnect")
      assert.strictEqual(event.headers?.["Host"], `127.0.0.1:${gateway.port}`)
      assert.isFalse("messageId" in event.requestContext)
      assert.strictEqual(rec.invocations.filter((i) => i.event.requestContext.eventType === "DISCONNECT").length, 6)
    })
  )

  it.scopedLive("$connect answering non-2xx or failing rejects the handshake with that status", () =>
    Effect.gen(function* () {
      const rec = recorder((event) => {
        if (event.requestContext.eventType !== "CONNECT") return undefined
        const token = event.queryStringParameters?.["token"]
        if (token === "fail") throw new Error("connect handler failed")
        return token === "good" ? { statusCode: 200 } : { statusCode: 403, body: "no entry" }
      })
      const gateway = yield* LocalGateway.make({ handler: rec.handler })
      const denied = yield* Effect.flip(WsClient.connect(`${gateway.wsUrl}?token=bad`))
      assert.strictEqual(denied.status, 403)
      assert.strictEqual(denied.body, "no entry")
      const failed = yield* Effect.flip(WsClient.connect(`${gateway.wsUrl}?token=fail`))
      assert.strictEqual(failed.status, 500)
      assert.deepStrictEqual(yield* gateway.connections, [])
      const admitted = yield* WsClient.connect(`${gateway.wsUrl}?token=good`)
      assert.deepStrictEqual(
        (yield* gateway.connections).map((c) => c.connectionId),
        [admitted.connectionId]
      )
      const rejectedIds = rec.invocations.slice(0, 2).map((i) => i.event.requestContext.connectionId)
      yield* sleep(50)
      assert.isFalse(rec.invocations.some((i) => i.event.requestContext.eventType === "DISCONNECT"))
      for (const id of rejectedIds) {
        const res = yield* WsClient.request(gateway.endpoint, {
          method: "GET",
          path: `/local/@connections/${encodeURIComponent(id)}`
        })
        assert.strictEqual(res.status, 410)
      }
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None))
  )

  it.scopedLive("posting to a connection from its own $connect answers 410; once connected, 200", () =>
    Effect.gen(function* () {
      const during: Array<number> = []
      const gateway = yield* LocalGateway.make({
        handler: async (event) => {
          if (event.requestContext.eventType === "CONNECT") {
            const endpoint = Endpoint.fromWebSocketEvent(event)
            const res = await Effect.runPromise(
              WsClient.request(endpoint, {
                method: "POST",
                path: `/${event.requestContext.stage}/@connections/${encodeURIComponent(event.requestContext.connectionId)}`,
                body: "too early"
              })
            )
            during.push(res.status)
          }
          return { statusCode: 200 }
        }
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      assert.deepStrictEqual(during, [410])
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(client.connectionId)}`,
        body: "in time"
      })
      assert.strictEqual(res.status, 200)
      assert.deepStrictEqual(
        (yield* client.waitFor(1)).map((m) => m.text),
        ["in time"]
      )
    })
  )

  it.scopedLive("callback-style handlers and handlers typed with @types/aws-lambda fit", () =>
    Effect.gen(function* () {
      const typed: APIGatewayProxyWebsocketHandlerV2 = async (event) =>
        event.requestContext.eventType === "MESSAGE"
          ? { statusCode: 200, body: `typed:${event.body}` }
          : { statusCode: 200 }
      const typedGateway = yield* LocalGateway.make({ handler: typed })
      const a = yield* WsClient.connect(typedGateway.wsUrl)
      yield* a.send("x")
      assert.strictEqual((yield* a.waitFor(1))[0]!.text, "typed:x")

      const twoArgs = async (
        event: APIGatewayProxyWebsocketEventV2,
        context: Context
      ): Promise<APIGatewayProxyResultV2> => ({ statusCode: 200, body: `${context.functionName}:${event.body}` })
      const twoArgsGateway = yield* LocalGateway.make({ handler: twoArgs })
      const b = yield* WsClient.connect(twoArgsGateway.wsUrl)
      yield* b.send("y")
      assert.strictEqual((yield* b.waitFor(1))[0]!.text, "effect-streamer-local:y")

      const callbackStyle: LocalGateway.Handler = (event, _context, callback) => {
        setTimeout(() => {
          if (event.requestContext.eventType !== "CONNECT")
            callback(null, { statusCode: 200, body: `cb:${event.body}` })
          else callback(undefined, { statusCode: 200 })
        }, 5)
      }
      const callbackGateway = yield* LocalGateway.make({ handler: callbackStyle })
      const c = yield* WsClient.connect(callbackGateway.wsUrl)
      yield* c.send("z")
      assert.strictEqual((yield* c.waitFor(1))[0]!.text, "cb:z")
    })
  )

  it.scopedLive("handler failures are logged, never crash the gateway", () => {
    const logged: Array<{ readonly level: string; readonly message: unknown; readonly cause: string }> = []
    const capture = Logger.make(({ cause, logLevel, message }) => {
      logged.push({ level: logLevel.label, message, cause: Cause.pretty(cause) })
    })
    return Effect.gen(function* () {
      let disconnects = 0
      const gateway = yield* LocalGateway.make({
        handler: async (event) => {
          if (event.requestContext.eventType === "DISCONNECT") {
            disconnects++
            throw new Error("disconnect handler failed")
          }
          return { statusCode: 200, ...(event.body ? { body: event.body } : {}) }
        }
      })
      const first = yield* WsClient.connect(gateway.wsUrl)
      yield* first.close()
      yield* first.closed
      while (disconnects === 0) yield* sleep(5)
      const second = yield* WsClient.connect(gateway.wsUrl)
      yield* second.send("still alive")
      assert.strictEqual((yield* second.waitFor(1))[0]!.text, "still alive")
      const warning = logged.find((l) => l.level === "WARN")
      assert.isDefined(warning)
      assert.include(String(warning!.message), "$disconnect")
      assert.include(warning!.cause, "disconnect handler failed")
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
  })

  it.scopedLive("without a handler every handshake is accepted and messages are dropped", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send('{"action":"anything"}')
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(client.connectionId)}`,
        body: "only this"
      })
      assert.strictEqual(res.status, 200)
      assert.deepStrictEqual(
        (yield* client.waitFor(1)).map((m) => m.text),
        ["only this"]
      )
    })
  )
})
