import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand
} from "@aws-sdk/client-apigatewaymanagementapi"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as LocalGateway from "../src/LocalGateway.js"
import * as WsClient from "./helpers/wsClient.js"

const idPattern = /^[A-Za-z0-9_-]{15}=$/
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const sdkClient = (gateway: LocalGateway.Handle) =>
  Effect.acquireRelease(
    Effect.sync(
      () =>
        new ApiGatewayManagementApiClient({
          endpoint: gateway.endpoint,
          region: "us-east-1",
          maxAttempts: 1,
          credentials: { accessKeyId: "AKIDTESTEXAMPLE", secretAccessKey: "test-secret-key-not-real" }
        })
    ),
    (client) => Effect.sync(() => client.destroy())
  )

const send = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (error) => error })

const encode = (id: string) => encodeURIComponent(id)
const post = (gateway: LocalGateway.Handle, path: string, body?: string | Uint8Array) =>
  WsClient.request(gateway.endpoint, { method: "POST", path, body })

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("LocalGateway", () => {
  it.scopedLive("describes itself and lists live connections oldest first", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      assert.strictEqual(gateway.host, "127.0.0.1")
      assert.strictEqual(gateway.stage, "local")
      assert.strictEqual(gateway.region, "us-east-1")
      assert.isAbove(gateway.port, 0)
      assert.strictEqual(gateway.wsUrl, `ws://127.0.0.1:${gateway.port}/local`)
      assert.strictEqual(gateway.endpoint, `http://127.0.0.1:${gateway.port}/local`)
      const a = yield* WsClient.connect(gateway.wsUrl)
      const b = yield* WsClient.connect(gateway.wsUrl)
      const c = yield* WsClient.connect(gateway.wsUrl)
      for (const client of [a, b, c]) assert.match(client.connectionId, idPattern)
      const ids = (yield* gateway.connections).map((info) => info.connectionId)
      assert.deepStrictEqual(ids, [a.connectionId, b.connectionId, c.connectionId])
      const info = Option.getOrThrow(yield* gateway.connection(b.connectionId))
      assert.strictEqual(info.sourceIp, "127.0.0.1")
      assert.isTrue(Option.isNone(yield* gateway.connection("AAAAAAAAAAAAAAA=")))
      yield* b.close()
      yield* b.closed
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      const after = (yield* gateway.connections).map((info) => info.connectionId)
      assert.deepStrictEqual(after, [a.connectionId, c.connectionId])
    })
  )

  it.scopedLive("the stage is configurable, other WebSocket paths are refused", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ stage: "production" })
      assert.strictEqual(gateway.wsUrl, `ws://127.0.0.1:${gateway.port}/production`)
      const client = yield* WsClient.connect(`${gateway.wsUrl}?token=1`)
      assert.match(client.connectionId, idPattern)
      const error = yield* Effect.flip(WsClient.connect(`ws://127.0.0.1:${gateway.port}/local`))
      assert.strictEqual(error.status, 403)
    })
  )

  it.scopedLive("POST delivers valid UTF-8 as a text frame, byte for byte, and answers 200 with an empty body", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const bytes = Buffer.from("héllo ✓ \u{1F600}", "utf8")
      const res = yield* post(gateway, `/local/@connections/${encode(client.connectionId)}`, bytes)
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.body.length, 0)
      assert.isString(res.headers["x-amzn-requestid"])
      const [message] = yield* client.waitFor(1)
      assert.isFalse(message!.isBinary)
      assert.isTrue(message!.data.equals(bytes))
      const [recorded] = yield* gateway.requests
      assert.strictEqual(recorded!.connectionId, client.connectionId)
      assert.strictEqual(recorded!.status, 200)
      assert.isTrue(recorded!.delivered)
      assert.strictEqual(recorded!.bodyBytes, bytes.length)
    })
  )

  it.scopedLive("POST delivers bytes that are not UTF-8 as a binary frame, byte for byte (raw and SDK)", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const sdk = yield* sdkClient(gateway)
      const raw = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80])
      yield* post(gateway, `/@connections/${encode(client.connectionId)}`, raw)
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      yield* send(() => sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: all })))
      yield* send(() => sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: "text" })))
      const [first, second, third] = yield* client.waitFor(3)
      assert.isTrue(first!.isBinary)
      assert.isTrue(first!.data.equals(raw))
      assert.isTrue(second!.isBinary)
      assert.isTrue(second!.data.equals(all))
      assert.isFalse(third!.isBinary)
      assert.strictEqual(third!.text, "text")
    })
  )

  it.scopedLive("an unknown connection answers 410 with an empty body, Content-Length 0 and x-amzn-ErrorType", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      for (const method of ["POST", "GET", "DELETE"]) {
        const res = yield* WsClient.request(gateway.endpoint, {
          method,
          path: "/local/@connections/L0SM9cOFvHcCIhw%3D",
          ...(method === "POST" ? { body: "hi" } : {})
        })
        assert.strictEqual(res.status, 410, method)
        assert.strictEqual(res.body.length, 0)
        assert.strictEqual(res.headers["content-length"], "0")
        assert.strictEqual(res.headers["x-amzn-errortype"], "GoneException")
        assert.isString(res.headers["x-amzn-requestid"])
      }
    })
  )

  it.scopedLive("the SDK reads a 410 as a typed GoneException on every operation", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const sdk = yield* sdkClient(gateway)
      const ConnectionId = "L0SM9cOFvHcCIhw="
      const errors = [
        yield* Effect.flip(send(() => sdk.send(new PostToConnectionCommand({ ConnectionId, Data: "x" })))),
        yield* Effect.flip(send(() => sdk.send(new GetConnectionCommand({ ConnectionId })))),
        yield* Effect.flip(send(() => sdk.send(new DeleteConnectionCommand({ ConnectionId }))))
      ]
      for (const error of errors) {
        assert.instanceOf(error, GoneException)
        assert.strictEqual((error as GoneException).$metadata.httpStatusCode, 410)
      }
    })
  )

  it.scopedLive("GET answers connectedAt, lastActiveAt and identity: ISO strings, Dates through the SDK", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const before = Date.now()
      const client = yield* WsClient.connect(gateway.wsUrl, { headers: { "User-Agent": "gateway-test/1.0" } })
      const raw = yield* WsClient.request(gateway.endpoint, {
        method: "GET",
        path: `/local/@connections/${encode(client.connectionId)}`
      })
      assert.strictEqual(raw.status, 200)
      assert.strictEqual(raw.headers["content-type"], "application/json")
      const json = JSON.parse(raw.text) as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(json).sort(), ["connectedAt", "identity", "lastActiveAt"])
      assert.match(json.connectedAt as string, isoPattern)
      assert.match(json.lastActiveAt as string, isoPattern)
      assert.deepStrictEqual(json.identity, { sourceIp: "127.0.0.1", userAgent: "gateway-test/1.0" })

      const sdk = yield* sdkClient(gateway)
      const out = yield* send(() => sdk.send(new GetConnectionCommand({ ConnectionId: client.connectionId })))
      assert.instanceOf(out.ConnectedAt, Date)
      assert.instanceOf(out.LastActiveAt, Date)
      assert.isAtLeast(out.ConnectedAt!.getTime(), before - 1)
      assert.isAtMost(out.ConnectedAt!.getTime(), Date.now())
      assert.strictEqual(out.ConnectedAt!.toISOString(), json.connectedAt)
      assert.deepStrictEqual(out.Identity, { SourceIp: "127.0.0.1", UserAgent: "gateway-test/1.0" })
    })
  )

  it.scopedLive("DELETE answers 204, closes the socket with 1000, and the id is gone afterwards", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const sdk = yield* sdkClient(gateway)
      const client = yield* WsClient.connect(gateway.wsUrl)
      const out = yield* send(() => sdk.send(new DeleteConnectionCommand({ ConnectionId: client.connectionId })))
      assert.strictEqual(out.$metadata.httpStatusCode, 204)
      const close = yield* client.closed
      assert.strictEqual(close.code, 1000)
      const again = yield* Effect.flip(
        send(() => sdk.send(new GetConnectionCommand({ ConnectionId: client.connectionId })))
      )
      assert.instanceOf(again, GoneException)
      assert.deepStrictEqual(yield* gateway.connections, [])

      const other = yield* WsClient.connect(gateway.wsUrl)
      const raw = yield* WsClient.request(gateway.endpoint, {
        method: "DELETE",
        path: `/local/@connections/${encode(other.connectionId)}`
      })
      assert.strictEqual(raw.status, 204)
      assert.strictEqual(raw.body.length, 0)
      assert.strictEqual((yield* other.closed).code, 1000)
    })
  )

  it.scopedLive("management paths: with or without the stage, @ or %40; the raw path is recorded as received", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const id = encode(client.connectionId)
      const paths = [
        `/local/@connections/${id}`,
        `/@connections/${id}`,
        `/local/%40connections/${id}`,
        `/%40connections/${id}`,
        `/local/@connections/${id}?ignored=1`
      ]
      for (const [i, path] of paths.entries()) {
        const res = yield* post(gateway, path, `m${i}`)
        assert.strictEqual(res.status, 200, path)
      }
      const messages = yield* client.waitFor(paths.length)
      assert.deepStrictEqual(
        messages.map((m) => m.text),
        paths.map((_, i) => `m${i}`)
      )
      const recorded = yield* gateway.requests
      assert.deepStrictEqual(
        recorded.map((r) => r.path),
        paths
      )
      assert.isTrue(recorded.every((r) => r.connectionId === client.connectionId && r.method === "POST"))
    })
  )

  it.scopedLive("paths that are not one connection id: 404, 403 for another stage, 400 for a malformed id", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const id = encode(client.connectionId)
      const cases: ReadonlyArray<readonly [string, number, string]> = [
        ["/local/@connections", 404, "NotFoundException"],
        ["/local/@connections/", 404, "NotFoundException"],
        [`/local/@connections/${id}/extra`, 404, "NotFoundException"],
        [`/local/@connections/a/../${id}`, 404, "NotFoundException"],
        [`/a/b/@connections/${id}`, 404, "NotFoundException"],
        ["/local/elsewhere", 404, "NotFoundException"],
        [`/other/@connections/${id}`, 403, "ForbiddenException"],
        ["/local/@connections/%ZZ", 400, "BadRequestException"],
        ["/local/@connections/abc%2Fdef", 400, "BadRequestException"],
        ["/local/@connections/..", 400, "BadRequestException"],
        ["/local/@connections/%2E", 400, "BadRequestException"],
        ["/local/@connections/a%20b", 400, "BadRequestException"],
        [`/local/@connections/${"A".repeat(129)}`, 400, "BadRequestException"]
      ]
      for (const [path, status, errorType] of cases) {
        const res = yield* post(gateway, path, "never")
        assert.strictEqual(res.status, status, path)
        assert.strictEqual(res.headers["x-amzn-errortype"], errorType, path)
        assert.strictEqual(res.headers["content-type"], "application/json", path)
        assert.isString(res.headers["x-amzn-requestid"], path)
        assert.isString((JSON.parse(res.text) as { message: string }).message, path)
      }
      const put = yield* WsClient.request(gateway.endpoint, { method: "PUT", path: `/local/@connections/${id}` })
      assert.strictEqual(put.status, 405)
      assert.strictEqual(put.headers["x-amzn-errortype"], "MethodNotAllowedException")
      // Nothing reached the client.
      yield* post(gateway, `/local/@connections/${id}`, "only")
      const messages = yield* client.waitFor(1)
      assert.deepStrictEqual(
        messages.map((m) => m.text),
        ["only"]
      )
    })
  )

  it.scopedLive("413 PayloadTooLargeException above 131072 bytes; exactly 131072 bytes are delivered", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const path = `/local/@connections/${encode(client.connectionId)}`
      const atLimit = yield* post(gateway, path, Buffer.alloc(131072, 0x61))
      assert.strictEqual(atLimit.status, 200)
      const [message] = yield* client.waitFor(1)
      assert.strictEqual(message!.data.length, 131072)

      const over = yield* post(gateway, path, Buffer.alloc(131073, 0x61))
      assert.strictEqual(over.status, 413)
      assert.strictEqual(over.headers["x-amzn-errortype"], "PayloadTooLargeException")
      assert.strictEqual(over.headers["content-type"], "application/json")
      assert.include((JSON.parse(over.text) as { message: string }).message, "131072")

      const chunked = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path,
        headers: { "transfer-encoding": "chunked" },
        body: Buffer.alloc(1_000_000, 0x62)
      })
      assert.strictEqual(chunked.status, 413)
      const recorded = yield* gateway.requests
      assert.deepStrictEqual(
        recorded.map((r) => [r.status, r.delivered]),
        [
          [200, true],
          [413, false],
          [413, false]
        ]
      )
      assert.strictEqual((yield* client.messages).length, 1)
    })
  )

  it.scopedLive("a binary frame from a client closes the socket with 1003", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send(new Uint8Array([1, 2, 3]), { binary: true })
      assert.strictEqual((yield* client.closed).code, 1003)
      const res = yield* post(gateway, `/local/@connections/${encode(client.connectionId)}`, "late")
      assert.strictEqual(res.status, 410)
    })
  )

  it.scopedLive("a frame over 32768 bytes from a client closes the socket with 1009; 32768 bytes pass", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        handler: (event) => ({ statusCode: 200, body: String(event.body?.length ?? 0) })
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send("a".repeat(32768))
      const [reply] = yield* client.waitFor(1)
      assert.strictEqual(reply!.text, "32768")
      yield* client.send("a".repeat(32769))
      assert.strictEqual((yield* client.closed).code, 1009)
      assert.strictEqual((yield* client.messages).length, 1)
    })
  )

  it.scopedLive("a message in frames of 32 KB or less passes up to 128 KB; one frame over 32 KB still closes", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        handler: (event) => ({ statusCode: 200, body: `${event.body?.length ?? 0} ${event.body?.slice(0, 3)}` })
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      // Four frames of 32768 bytes: a message of exactly 128 KB, delivered whole and in order.
      for (const [i, letter] of ["a", "b", "c", "d"].entries()) {
        yield* client.send(letter.repeat(32768), { fin: i === 3 })
      }
      const [reply] = yield* client.waitFor(1)
      assert.strictEqual(reply!.text, "131072 aaa")
      // A fragmented message whose second frame is over 32 KB.
      yield* client.send("e".repeat(1000), { fin: false })
      yield* client.send("f".repeat(32769), { fin: true })
      assert.strictEqual((yield* client.closed).code, 1009)
      assert.strictEqual((yield* client.messages).length, 1)
    })
  )

  it.scopedLive("a message over 128 KB closes with 1009, even in frames of 32 KB", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ handler: () => ({ statusCode: 200, body: "delivered" }) })
      const client = yield* WsClient.connect(gateway.wsUrl)
      for (let i = 0; i < 4; i++) yield* client.send("g".repeat(32768), { fin: false })
      yield* client.send("h", { fin: true })
      assert.strictEqual((yield* client.closed).code, 1009)
      assert.deepStrictEqual(yield* client.messages, [])
    })
  )

  it.scopedLive("the idle timeout closes with 1001, after which the id answers 410", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ idleTimeout: "150 millis" })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const close = yield* client.closed
      assert.strictEqual(close.code, 1001)
      assert.strictEqual(close.reason, "Going away")
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "GET",
        path: `/local/@connections/${encode(client.connectionId)}`
      })
      assert.strictEqual(res.status, 410)
      assert.deepStrictEqual(yield* gateway.connections, [])
    })
  )

  it.scopedLive("client frames keep a connection from idling out and update lastActiveAt", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ idleTimeout: "400 millis" })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const connectedAt = Option.getOrThrow(yield* gateway.connection(client.connectionId)).connectedAt!
      for (let i = 0; i < 8; i++) {
        yield* sleep(100)
        yield* i % 2 === 0 ? client.send(`tick ${i}`) : client.ping
      }
      // 800 ms have passed, twice the idle timeout: the frames kept it open.
      assert.isUndefined(yield* client.closeInfo)
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "GET",
        path: `/@connections/${encode(client.connectionId)}`
      })
      assert.strictEqual(res.status, 200)
      const body = JSON.parse(res.text) as { connectedAt: string; lastActiveAt: string }
      assert.strictEqual(body.connectedAt, connectedAt.toISOString())
      assert.isAtLeast(Date.parse(body.lastActiveAt) - connectedAt.getTime(), 500)
      // Silence: now it idles out.
      assert.strictEqual((yield* client.closed).code, 1001)
    })
  )

  it.scopedLive("the maximum duration closes an active connection with 1001", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ maxDuration: "300 millis" })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const closed = yield* Effect.fork(client.closed)
      let sent = 0
      while ((yield* client.closeInfo) === undefined && sent < 50) {
        yield* client.send("still here")
        sent++
        yield* sleep(50)
      }
      assert.strictEqual((yield* closed.await.pipe(Effect.flatten)).code, 1001)
      assert.isAbove(sent, 2)
      const res = yield* post(gateway, `/local/@connections/${encode(client.connectionId)}`, "late")
      assert.strictEqual(res.status, 410)
    })
  )

  it.scopedLive("disconnect closes a connection from the server side", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const a = yield* WsClient.connect(gateway.wsUrl)
      const b = yield* WsClient.connect(gateway.wsUrl)
      assert.isTrue(yield* gateway.disconnect(a.connectionId))
      assert.isTrue(yield* gateway.disconnect(b.connectionId, { code: 4001, reason: "kicked" }))
      assert.isFalse(yield* gateway.disconnect(a.connectionId))
      assert.deepStrictEqual(yield* a.closed, { code: 1001, reason: "Going away" })
      assert.deepStrictEqual(yield* b.closed, { code: 4001, reason: "kicked" })
    })
  )

  it.scopedLive("closing the scope closes every socket, every pending request and the server", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const gateway = yield* LocalGateway.make({ faults: { hang: true } }).pipe(Scope.extend(scope))
      const clients = yield* Effect.all([WsClient.connect(gateway.wsUrl), WsClient.connect(gateway.wsUrl)])
      const hung = yield* Effect.fork(
        post(gateway, `/local/@connections/${encode(clients[0].connectionId)}`, "never answered")
      )
      while ((yield* gateway.stats).hung === 0) yield* sleep(5)
      yield* Scope.close(scope, Exit.void)
      for (const client of clients) assert.strictEqual((yield* client.closed).code, 1001)
      const exit = yield* hung.await
      assert.isTrue(Exit.isFailure(exit))
      const refused = yield* Effect.flip(WsClient.request(gateway.endpoint, { method: "GET", path: "/" }))
      assert.include(String(refused), "ECONNREFUSED")
    })
  )

  it.scopedLive("invalid options and a busy port fail with LocalGatewayError", () =>
    Effect.gen(function* () {
      const bad = [
        { stage: "a/b" },
        { port: 70000 },
        { region: "" },
        { idleTimeout: "0 millis" as const },
        { faults: { throttle: 0.6, serverError: 0.6 } },
        { faults: { drop: 2 } },
        { credentials: { accessKeyId: "", secretAccessKey: "x" } }
      ]
      for (const options of bad) {
        const error = yield* Effect.flip(LocalGateway.make(options))
        assert.strictEqual(error._tag, "LocalGatewayError")
        assert.strictEqual(error.reason, "InvalidOptions", JSON.stringify(options))
      }
      const first = yield* LocalGateway.make()
      const busy = yield* Effect.flip(LocalGateway.make({ port: first.port }))
      assert.strictEqual(busy.reason, "Listen")
      assert.include(busy.message, "EADDRINUSE")
    })
  )

  it.scopedLive("LocalGateway.layer provides the handle", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.LocalGateway
      const client = yield* WsClient.connect(gateway.wsUrl)
      assert.deepStrictEqual(
        (yield* gateway.connections).map((c) => c.connectionId),
        [client.connectionId]
      )
    }).pipe(Effect.provide(LocalGateway.layer({ stage: "layered" })))
  )
})
