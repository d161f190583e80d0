import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as LocalGateway from "../src/LocalGateway.js"
import * as WsClient from "./helpers/wsClient.js"

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const postTo = (gateway: LocalGateway.Handle, client: WsClient.Client, body: string) =>
  WsClient.request(gateway.endpoint, {
    method: "POST",
    path: `/local/@connections/${encodeURIComponent(client.connectionId)}`,
    body
  })

/** The status of each request, or "dropped" when the socket was destroyed without an answer. */
const statuses = (gateway: LocalGateway.Handle, client: WsClient.Client, n: number) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) =>
      postTo(gateway, client, `m${i}`).pipe(
        Effect.map((res): number | "dropped" => res.status),
        Effect.catchAll(() => Effect.succeed("dropped" as const))
      )
  )

const mixed: LocalGateway.Faults = { throttle: 0.2, serverError: 0.2, drop: 0.2, seed: 42 }

const waitUntil = (gateway: LocalGateway.Handle, ready: (stats: LocalGateway.Stats) => boolean) =>
  Effect.gen(function* () {
    while (!ready(yield* gateway.stats)) yield* sleep(5)
  })

describe("LocalGateway faults", () => {
  it.scopedLive("the same seed gives the same sequence of answers; another seed another one", () =>
    Effect.gen(function* () {
      const run = (faults: LocalGateway.Faults) =>
        Effect.gen(function* () {
          const gateway = yield* LocalGateway.make({ faults })
          const client = yield* WsClient.connect(gateway.wsUrl)
          const answers = yield* statuses(gateway, client, 40)
          const recorded = (yield* gateway.requests).map((r) => r.status ?? "dropped")
          assert.deepStrictEqual(recorded, answers)
          return answers
        }).pipe(Effect.scoped)
      const first = yield* run(mixed)
      const second = yield* run(mixed)
      const other = yield* run({ ...mixed, seed: 7 })
      assert.deepStrictEqual(first, second)
      assert.notDeepEqual(first, other)
      for (const expected of [200, 429, "dropped"] as const) assert.include(first, expected)
      assert.isTrue(first.some((s) => s === 500 || s === 502 || s === 503))
    })
  )

  it.scopedLive("throttle: 429 LimitExceededException with Retry-After (raw and SDK)", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { throttle: 1, retryAfterSeconds: 3 } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const res = yield* postTo(gateway, client, "x")
      assert.strictEqual(res.status, 429)
      assert.strictEqual(res.headers["retry-after"], "3")
      assert.strictEqual(res.headers["x-amzn-errortype"], "LimitExceededException")
      assert.strictEqual(res.headers["content-type"], "application/json")
      assert.isString(res.headers["x-amzn-requestid"])
      assert.isString((JSON.parse(res.text) as { message: string }).message)

      const sdk = new ApiGatewayManagementApiClient({ endpoint: gateway.endpoint, region: "us-east-1", maxAttempts: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => sdk.destroy()))
      const error = yield* Effect.flip(
        Effect.tryPromise({
          try: () => sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: "x" })),
          catch: (e) => e as { name: string; $metadata: { httpStatusCode: number } }
        })
      )
      assert.strictEqual(error.name, "LimitExceededException")
      assert.strictEqual(error.$metadata.httpStatusCode, 429)
      const stats = yield* gateway.stats
      assert.strictEqual(stats.throttled, 2)
      assert.strictEqual(stats.byStatus[429], 2)
      assert.strictEqual(stats.delivered, 0)
      assert.deepStrictEqual(yield* client.messages, [])
      const recorded = yield* gateway.requests
      assert.isTrue(recorded.every((r) => r.fault === "throttle" && !r.delivered))
    })
  )

  it.scopedLive("serverError: 500 InternalServerErrorException, 502 and 503, all with x-amzn-ErrorType", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { serverError: 1, seed: 1 } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const seen = new Map<number, string>()
      for (let i = 0; i < 30; i++) {
        const res = yield* postTo(gateway, client, "x")
        assert.include([500, 502, 503], res.status)
        seen.set(res.status, String(res.headers["x-amzn-errortype"]))
        assert.isString((JSON.parse(res.text) as { message: string }).message)
      }
      assert.deepStrictEqual([...seen.keys()].sort(), [500, 502, 503])
      assert.strictEqual(seen.get(500), "InternalServerErrorException")
      assert.strictEqual(seen.get(503), "ServiceUnavailableException")
      assert.strictEqual((yield* gateway.stats).serverErrors, 30)
      assert.deepStrictEqual(yield* client.messages, [])
    })
  )

  it.scopedLive("drop: the socket is destroyed without an answer, half of the time after delivery", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { drop: 1, seed: 3 } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const answers = yield* statuses(gateway, client, 20)
      assert.isTrue(answers.every((a) => a === "dropped"))
      const recorded = yield* gateway.requests
      const delivered = recorded.filter((r) => r.delivered).length
      assert.isAbove(delivered, 0)
      assert.isBelow(delivered, 20)
      assert.isTrue(recorded.every((r) => r.fault === "drop" && r.status === undefined))
      const stats = yield* gateway.stats
      assert.strictEqual(stats.dropped, 20)
      assert.strictEqual(stats.droppedAfterDelivery, delivered)
      // Exactly the bodies recorded as delivered reached the client, in order.
      const messages = yield* client.waitFor(delivered)
      const expected = recorded.flatMap((r, i) => (r.delivered ? [`m${i}`] : []))
      assert.deepStrictEqual(
        messages.map((m) => m.text),
        expected
      )
    })
  )

  it.scopedLive("latency delays the answer (and the delivery) of every management request", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { latency: "1 second" } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const pending = yield* Effect.fork(postTo(gateway, client, "slow"))
      yield* waitUntil(gateway, (s) => s.total === 1)
      yield* sleep(100)
      assert.strictEqual((yield* gateway.stats).inFlight, 1)
      assert.deepStrictEqual(yield* client.messages, [])
      assert.isTrue(Option.isNone(yield* Fiber.poll(pending)))
      const res = yield* Fiber.join(pending)
      assert.strictEqual(res.status, 200)
      assert.strictEqual((yield* client.waitFor(1))[0]!.text, "slow")
    })
  )

  it.scopedLive("hang: a request is never answered, and the scope still closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const gateway = yield* LocalGateway.make({ faults: { hang: 0.5, seed: 11 } }).pipe(Scope.extend(scope))
      const client = yield* WsClient.connect(gateway.wsUrl)
      const fibers = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        (i) => Effect.fork(postTo(gateway, client, `h${i}`))
      )
      yield* waitUntil(gateway, (s) => s.total === 8 && s.inFlight === s.hung)
      const stats = yield* gateway.stats
      assert.isAbove(stats.hung, 0)
      assert.isBelow(stats.hung, 8)
      assert.strictEqual(stats.byStatus[200], 8 - stats.hung)
      yield* Scope.close(scope, Exit.void)
      const exits = yield* Effect.forEach(fibers, (f) => f.await)
      assert.strictEqual(exits.filter(Exit.isFailure).length, stats.hung)
      assert.strictEqual((yield* client.closed).code, 1001)
    })
  )

  it.scopedLive("hang: true hangs every request", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { hang: true } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* Effect.forEach([1, 2, 3], () => Effect.fork(postTo(gateway, client, "x")))
      yield* waitUntil(gateway, (s) => s.hung === 3)
      assert.strictEqual((yield* gateway.stats).inFlight, 3)
      assert.deepStrictEqual(yield* client.messages, [])
    })
  )

  it.scopedLive("faults can be changed at runtime; a seed restarts the sequence", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      assert.strictEqual((yield* postTo(gateway, client, "a")).status, 200)
      yield* gateway.setFaults({ throttle: 1 })
      assert.deepStrictEqual(yield* gateway.faults, { throttle: 1 })
      assert.strictEqual((yield* postTo(gateway, client, "b")).status, 429)
      yield* gateway.setFaults(undefined)
      assert.strictEqual((yield* postTo(gateway, client, "c")).status, 200)
      yield* gateway.setFaults(mixed)
      const first = yield* statuses(gateway, client, 15)
      yield* gateway.setFaults(mixed)
      const second = yield* statuses(gateway, client, 15)
      assert.deepStrictEqual(first, second)
      const error = yield* Effect.flip(gateway.setFaults({ throttle: -1 }))
      assert.strictEqual(error.reason, "InvalidOptions")
    })
  )

  it.scopedLive("faults never touch WebSocket traffic", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        faults: { hang: true, latency: "10 seconds" },
        handler: (event) => (event.requestContext.eventType === "MESSAGE" ? { body: `echo ${event.body}` } : {})
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send("hi")
      assert.strictEqual((yield* client.waitFor(1))[0]!.text, "echo hi")
      assert.strictEqual((yield* gateway.stats).total, 0)
    })
  )

  it.scopedLive("peakInFlight counts concurrent management requests; resetStats starts over", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ faults: { latency: "100 millis" } })
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* Effect.forEach(
        Array.from({ length: 9 }, (_, i) => i),
        (i) => postTo(gateway, client, `c${i}`),
        {
          concurrency: 3
        }
      )
      const stats = yield* gateway.stats
      assert.strictEqual(stats.total, 9)
      assert.strictEqual(stats.peakInFlight, 3)
      assert.strictEqual(stats.inFlight, 0)
      assert.strictEqual(stats.delivered, 9)
      yield* gateway.resetStats
      const reset = yield* gateway.stats
      assert.strictEqual(reset.total, 0)
      assert.strictEqual(reset.peakInFlight, 0)
      assert.deepStrictEqual(yield* gateway.requests, [])
      yield* Effect.forEach([1, 2], () => postTo(gateway, client, "s"), { concurrency: 1 })
      assert.strictEqual((yield* gateway.stats).peakInFlight, 1)
    })
  )
})
