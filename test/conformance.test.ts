/**
 * The conformance suite: every behaviour of the service against the local gateway, with real `ws` clients, run once
 * per transport. Each transport must pass it identically.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import * as LocalGateway from "../src/LocalGateway.js"
import { connect } from "./helpers/wsClient.js"
import { eventually, transports } from "./helpers/transports.js"

const encoder = new TextEncoder()

for (const transport of transports) {
  describe(`conformance: ${transport.name}`, () => {
    const setup = (options: LocalGateway.Options = {}, streamer: Partial<Parameters<typeof transport.make>[0]> = {}) =>
      Effect.gen(function* () {
        const gateway = yield* LocalGateway.make(options)
        const service = yield* transport.make({ endpoint: gateway.endpoint, ...streamer })
        return { gateway, service }
      })

    it.scopedLive("posts text and bytes byte-exact, reads info, deletes, then answers Gone", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup()
        const client = yield* connect(gateway.wsUrl, { headers: { "user-agent": "conformance/1.0" } })
        const id = client.connectionId
        const binary = new Uint8Array([0, 255, 0xde, 0xad, 0xbe, 0xef, 0x80, 0xc3])
        const text = "héllo wörld ✓ 🚀 日本語"
        yield* service.postToConnection(id, text)
        yield* service.postToConnection(id, binary)
        yield* service.postToConnection(id, encoder.encode("utf-8 bytes ✓"))
        const messages = yield* client.waitFor(3)
        assert.strictEqual(messages[0]!.text, text)
        assert.isFalse(messages[0]!.isBinary)
        assert.deepStrictEqual(Array.from(messages[1]!.data), Array.from(binary))
        assert.isTrue(messages[1]!.isBinary)
        assert.strictEqual(messages[2]!.text, "utf-8 bytes ✓")

        const info = yield* service.getConnection(id)
        assert.strictEqual(info.connectionId, id)
        assert.instanceOf(info.connectedAt, Date)
        assert.instanceOf(info.lastActiveAt, Date)
        assert.strictEqual(info.sourceIp, "127.0.0.1")
        assert.strictEqual(info.userAgent, "conformance/1.0")
        assert.isTrue(Math.abs(info.connectedAt!.getTime() - Date.now()) < 60_000)
        assert.strictEqual(info.state(), "ACTIVE")

        yield* service.deleteConnection(id)
        assert.strictEqual((yield* client.closed).code, 1000)
        assert.strictEqual((yield* Effect.flip(service.postToConnection(id, "late")))._tag, "GoneError")
        assert.strictEqual((yield* Effect.flip(service.getConnection(id)))._tag, "GoneError")
        yield* service.deleteConnection(id)
      })
    )

    it.scopedLive("an unknown id and a client that left are Gone", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup()
        const unknown = yield* Effect.flip(service.postToConnection("L0SM9cOFvHcCIhw=", "x"))
        assert.strictEqual(unknown._tag, "GoneError")
        assert.strictEqual(unknown.connectionId, "L0SM9cOFvHcCIhw=")
        const client = yield* connect(gateway.wsUrl)
        yield* service.postToConnection(client.connectionId, "before")
        yield* client.close(1000)
        yield* client.closed
        yield* eventually(Effect.map(gateway.connections, (c) => c.length === 0))
        assert.strictEqual(
          (yield* Effect.flip(service.postToConnection(client.connectionId, "after")))._tag,
          "GoneError"
        )
      })
    )

    it.scopedLive("delivers 131072 bytes; refuses 131073 with no request sent", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup()
        const client = yield* connect(gateway.wsUrl)
        const max = new Uint8Array(131072).map((_, i) => i % 251)
        yield* service.postToConnection(client.connectionId, max)
        const [message] = yield* client.waitFor(1)
        assert.strictEqual(message!.data.byteLength, 131072)
        assert.isTrue(Buffer.from(max).equals(message!.data))
        const before = (yield* gateway.stats).total
        const error = yield* Effect.flip(service.postToConnection(client.connectionId, new Uint8Array(131073)))
        assert.isTrue(error._tag === "PayloadTooLargeError" && error.payloadSize === 131073)
        assert.strictEqual((yield* gateway.stats).total, before)
      })
    )

    it.scopedLive("the gateway's 413 maps to PayloadTooLargeError when the local limit is raised", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup({}, { maxPayloadBytes: 200_000, retry: false })
        const client = yield* connect(gateway.wsUrl)
        const error = yield* Effect.flip(service.postToConnection(client.connectionId, new Uint8Array(131073)))
        assert.strictEqual(error._tag, "PayloadTooLargeError")
      })
    )

    it.scopedLive("ids with = and - travel percent-encoded as one segment", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup()
        const clients = yield* Effect.forEach(Array.from({ length: 40 }), () => connect(gateway.wsUrl))
        const withEquals = clients.find((c) => c.connectionId.includes("="))!
        yield* Effect.forEach(clients, (c) => service.postToConnection(c.connectionId, c.connectionId))
        for (const c of clients) assert.strictEqual((yield* c.waitFor(1))[0]!.text, c.connectionId)
        const paths = (yield* gateway.requests).map((r) => r.path)
        assert.isTrue(
          paths.every((p) => /^\/local\/@connections\/[^/]+$/.test(p) && !p.includes("=")),
          paths[0]
        )
        assert.isTrue(paths.some((p) => p.endsWith(withEquals.connectionId.replace(/=/g, "%3D"))))
      })
    )

    it.scopedLive("ids with /, whitespace, . or .. are refused locally with no request sent", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup()
        for (const id of ["a/b", "../admin", "a b", " ", "\t", ".", "..", "", "x".repeat(129)]) {
          for (const error of [
            yield* Effect.flip(service.postToConnection(id, "x")),
            yield* Effect.flip(service.getConnection(id)),
            yield* Effect.flip(service.deleteConnection(id))
          ]) {
            assert.strictEqual(error._tag, "InvalidConnectionError", JSON.stringify(id))
          }
        }
        assert.strictEqual((yield* gateway.stats).total, 0)
      })
    )

    it.scopedLive("a call interrupted in flight aborts its request", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup({ faults: { hang: true } }, { retry: false })
        const fiber = yield* Effect.fork(service.postToConnection("L0SM9cOFvHcCIhw=", "x"))
        yield* eventually(Effect.map(gateway.stats, (s) => s.inFlight === 1))
        yield* Fiber.interrupt(fiber)
        yield* eventually(Effect.map(gateway.stats, (s) => s.inFlight === 0))
        assert.strictEqual((yield* gateway.stats).hung, 1)
      })
    )

    it.scopedLive(
      "a server that never answers ends in a Timeout per attempt, and the call within the policy's bound",
      () =>
        Effect.gen(function* () {
          const { gateway, service } = yield* setup({ faults: { hang: true } }, { retry: false, timeout: "200 millis" })
          const started = Date.now()
          const error = yield* Effect.flip(service.postToConnection("L0SM9cOFvHcCIhw=", "x"))
          assert.isTrue(error._tag === "RequestError" && error.reason === "Timeout" && error.isRetryable)
          assert.isAtLeast(Date.now() - started, 190)
          const retrying = yield* transport.make({
            endpoint: gateway.endpoint,
            timeout: "100 millis",
            retry: { maxRetries: 2, base: "10 millis" }
          })
          yield* gateway.resetStats
          const again = yield* Effect.flip(retrying.getConnection("L0SM9cOFvHcCIhw="))
          assert.isTrue(again._tag === "RequestError" && again.reason === "Timeout")
          assert.strictEqual((yield* gateway.stats).total, 3)
        })
    )

    it.scopedLive(
      "throttling is retried, never before Retry-After, and surfaces as ThrottlingError when it persists",
      () =>
        Effect.gen(function* () {
          const { gateway, service } = yield* setup(
            { faults: { throttle: 1, retryAfterSeconds: 1, seed: 1 } },
            { retry: { maxRetries: 1, base: "1 millis" } }
          )
          const error = yield* Effect.flip(service.postToConnection("L0SM9cOFvHcCIhw=", "x"))
          assert.isTrue(
            error._tag === "ThrottlingError" &&
              Duration.toMillis(error.retryAfter.pipe((o) => (o._tag === "Some" ? o.value : Duration.zero))) === 1000
          )
          const times = (yield* gateway.requests).map((r) => r.time.getTime())
          assert.strictEqual(times.length, 2)
          // Millisecond timestamps, and Node's timers run on a millisecond loop clock: allow 2 ms of resolution.
          assert.isAtLeast(times[1]! - times[0]!, 998)
        })
    )

    it.scopedLive("5xx become InternalServerError with the status; dropped sockets a retryable Transport error", () =>
      Effect.gen(function* () {
        const { gateway, service } = yield* setup({ faults: { serverError: 1, seed: 3 } }, { retry: false })
        const error = yield* Effect.flip(service.postToConnection("L0SM9cOFvHcCIhw=", "x"))
        assert.isTrue(
          error._tag === "InternalServerError" && [500, 502, 503].includes(error.status) && error.isRetryable
        )
        yield* gateway.setFaults({ drop: 1, seed: 3 })
        const dropped = yield* Effect.flip(service.getConnection("L0SM9cOFvHcCIhw="))
        assert.isTrue(dropped._tag === "RequestError" && dropped.reason === "Transport" && dropped.isRetryable)
        yield* gateway.setFaults(undefined)
        const client = yield* connect(gateway.wsUrl)
        yield* gateway.setFaults({ serverError: 0.5, seed: 11 })
        const patient = yield* transport.make({
          endpoint: gateway.endpoint,
          retry: { maxRetries: 10, base: "1 millis" }
        })
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => `m${i}`),
          (m) => patient.postToConnection(client.connectionId, m)
        )
        assert.deepStrictEqual(
          (yield* client.waitFor(20)).map((m) => m.text),
          Array.from({ length: 20 }, (_, i) => `m${i}`)
        )
      })
    )

    it.scopedLive("strict signatures: the right credentials pass; a wrong secret, region or key is Forbidden", () =>
      Effect.gen(function* () {
        const credentials = { accessKeyId: "AKIDSTRICT", secretAccessKey: "strict-secret" }
        const gateway = yield* LocalGateway.make({ credentials, region: "eu-west-1" })
        const client = yield* connect(gateway.wsUrl)
        const good = yield* transport.make({
          endpoint: gateway.endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "AKIDSTRICT", secretAccessKey: Redacted.make("strict-secret") }
        })
        yield* good.postToConnection(client.connectionId, "signed")
        assert.strictEqual((yield* client.waitFor(1))[0]!.text, "signed")
        yield* good.getConnection(client.connectionId)
        const cases = [
          { region: "eu-west-1", accessKeyId: "AKIDSTRICT", secret: "wrong-secret" },
          { region: "us-east-1", accessKeyId: "AKIDSTRICT", secret: "strict-secret" },
          { region: "eu-west-1", accessKeyId: "AKIDUNKNOWN", secret: "strict-secret" }
        ]
        for (const c of cases) {
          const bad = yield* transport.make({
            endpoint: gateway.endpoint,
            region: c.region,
            credentials: { accessKeyId: c.accessKeyId, secretAccessKey: Redacted.make(c.secret) }
          })
          const error = yield* Effect.flip(bad.postToConnection(client.connectionId, "forged"))
          assert.strictEqual(error._tag, "ForbiddenError", JSON.stringify(c))
          assert.isFalse(error.isRetryable)
        }
        assert.strictEqual((yield* client.messages).length, 1)
      })
    )

    it.live("closing the scope releases the client's sockets", () =>
      Effect.gen(function* () {
        const outer = yield* Scope.make()
        const gateway = yield* LocalGateway.make().pipe(Scope.extend(outer))
        const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length
        const before = sockets()
        const inner = yield* Scope.make()
        const service = yield* transport.make({ endpoint: gateway.endpoint }).pipe(Scope.extend(inner))
        yield* Effect.forEach(
          Array.from({ length: 10 }),
          () => Effect.exit(service.getConnection("L0SM9cOFvHcCIhw=")),
          {
            concurrency: 10
          }
        )
        assert.isAbove(sockets(), before)
        yield* Scope.close(inner, Exit.void)
        yield* eventually(Effect.sync(() => sockets() <= before))
        yield* Scope.close(outer, Exit.void)
      })
    )
  })
}
