import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Streamer from "../src/Streamer.js"
import { InternalServerError, ThrottlingError } from "../src/StreamerError.js"
import * as StreamerTest from "../src/StreamerTest.js"
import { type RecordedSpan, recordingTracer } from "./helpers/tracer.js"

const live = "L0SM9cOFvHcCIhw="
const gone = "ZDb-VclrIAMCJ3w="
const provide = (options?: StreamerTest.Options) =>
  Effect.provide(StreamerTest.layer({ connections: [live], ...options }))
const throttle = (connectionId: string) => new ThrottlingError({ connectionId, retryAfter: Option.none() })

describe("service logic (in-memory transport)", () => {
  const badIds = ["", " ", "a b", "a/b", ".", "..", "x".repeat(129), "é", "a\nb", "\u0000", "tab\t"]
  it.effect("refuses invalid ids before any request", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      for (const id of badIds) {
        const post = yield* Effect.flip(Streamer.postToConnection(id, "x"))
        const get = yield* Effect.flip(Streamer.getConnection(id))
        const del = yield* Effect.flip(Streamer.deleteConnection(id))
        for (const error of [post, get, del]) {
          assert.strictEqual(error._tag, "InvalidConnectionError", JSON.stringify(id))
          assert.isFalse(error.isRetryable)
        }
      }
      assert.deepStrictEqual(yield* control.requests, [])
    }).pipe(provide())
  )

  it.effect("accepts 128 printable characters, = and -", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const id = "A=-_~!$&'()*+,;:@" + "x".repeat(111)
      assert.strictEqual(id.length, 128)
      yield* control.connect(id)
      yield* Streamer.postToConnection(id, "ok")
      assert.deepStrictEqual(yield* control.messages(id), ["ok"])
    }).pipe(provide())
  )

  it.effect("refuses a payload over maxPayloadBytes with no request, accepts the limit exactly", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      yield* Streamer.postToConnection(live, new Uint8Array(131072))
      const error = yield* Effect.flip(Streamer.postToConnection(live, new Uint8Array(131073)))
      assert.isTrue(error._tag === "PayloadTooLargeError" && error.payloadSize === 131073 && error.maxSize === 131072)
      const multiByte = yield* Effect.flip(Streamer.postToConnection(live, "é".repeat(65537)))
      assert.isTrue(multiByte._tag === "PayloadTooLargeError" && multiByte.payloadSize === 131074)
      assert.strictEqual((yield* control.requests).length, 1)
    }).pipe(provide())
  )

  it.effect("retries retryable errors under the policy and delivers once", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      yield* control.failNext(2, throttle)
      yield* Streamer.postToConnection(live, "after two throttles")
      assert.deepStrictEqual(yield* control.messages(live), ["after two throttles"])
      assert.deepStrictEqual(
        (yield* control.requests).map((r) => r.error?._tag ?? "ok"),
        ["ThrottlingError", "ThrottlingError", "ok"]
      )
    }).pipe(provide())
  )

  it.effect("gives up after maxRetries with the typed error", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      yield* control.failNext(10, (connectionId) => new InternalServerError({ connectionId, status: 503 }))
      const error = yield* Effect.flip(Streamer.postToConnection(live, "x"))
      assert.isTrue(error._tag === "InternalServerError" && error.status === 503)
      assert.strictEqual((yield* control.requests).length, 3)
    }).pipe(provide({ retry: { maxRetries: 2 } }))
  )

  it.effect("retry: false makes one attempt", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      yield* control.failNext(1, throttle)
      assert.strictEqual((yield* Effect.flip(Streamer.postToConnection(live, "x")))._tag, "ThrottlingError")
      assert.strictEqual((yield* control.requests).length, 1)
    }).pipe(provide({ retry: false }))
  )

  it.effect("never retries a GoneError", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      assert.strictEqual((yield* Effect.flip(Streamer.postToConnection(gone, "x")))._tag, "GoneError")
      assert.strictEqual((yield* control.requests).length, 1)
    }).pipe(provide())
  )

  it.effect("deleting a gone connection succeeds; get after delete is Gone", () =>
    Effect.gen(function* () {
      yield* Streamer.deleteConnection(live)
      yield* Streamer.deleteConnection(live)
      yield* Streamer.deleteConnection(gone)
      assert.strictEqual((yield* Effect.flip(Streamer.getConnection(live)))._tag, "GoneError")
    }).pipe(provide())
  )

  it.effect("getConnection returns the connection's info", () =>
    Effect.gen(function* () {
      const info = yield* Streamer.getConnection(live)
      assert.strictEqual(info.connectionId, live)
      assert.instanceOf(info.connectedAt, Date)
      assert.strictEqual(info.state(), "ACTIVE")
    }).pipe(provide())
  )

  it.effect("postJson encodes through the schema; an encoding failure is a ParseError", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const Message = Schema.Struct({ at: Schema.Date, text: Schema.String })
      yield* Streamer.postJson(live, Message, { at: new Date("2026-12-04T00:00:00.000Z"), text: "hi" })
      assert.deepStrictEqual(yield* control.messages(live), ['{"at":"2026-12-04T00:00:00.000Z","text":"hi"}'])
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const unserialisable = yield* Effect.flip(Streamer.postJson(live, Schema.Unknown, cyclic))
      assert.strictEqual(unserialisable._tag, "ParseError")
      const bad = yield* Effect.flip(Streamer.postJson(live, Schema.NumberFromString, "x" as unknown as number))
      assert.strictEqual(bad._tag, "ParseError")
      assert.strictEqual((yield* control.requests).length, 1)
    }).pipe(provide())
  )

  it.effect("every public operation is a span when the application installs a tracer", () =>
    Effect.gen(function* () {
      const spans: Array<RecordedSpan> = []
      yield* Effect.gen(function* () {
        yield* Streamer.postToConnection(live, "x")
        yield* Streamer.getConnection(live)
        yield* Effect.flip(Streamer.postToConnection(gone, "x"))
        yield* Streamer.deleteConnection(live)
      }).pipe(Effect.withTracer(recordingTracer(spans)))
      assert.deepStrictEqual(
        spans.map((s) => s.name),
        [
          "Streamer.postToConnection",
          "Streamer.getConnection",
          "Streamer.postToConnection",
          "Streamer.deleteConnection"
        ]
      )
    }).pipe(provide())
  )

  it.effect("exposes endpoint and region", () =>
    Effect.gen(function* () {
      const streamer = yield* Streamer.Streamer
      assert.strictEqual(streamer.endpoint, "http://127.0.0.1:0/test")
      assert.strictEqual(streamer.region, "us-east-1")
    }).pipe(provide())
  )
})

describe("broadcast (in-memory transport)", () => {
  it.effect("counts delivered, gone and failed; prunes each gone id once", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const liveIds = yield* Effect.forEach(Array.from({ length: 20 }), () => control.connect())
      const goneIds = Array.from({ length: 10 }, (_, i) => `gone${i}AAAAAAAAAA=`)
      const pruned: Array<string> = []
      const result = yield* Streamer.broadcast([...liveIds, ...goneIds, "bad/id"], "hello", {
        concurrency: 4,
        onGone: (id) => Effect.sync(() => pruned.push(id))
      })
      assert.strictEqual(result.delivered, 20)
      assert.deepStrictEqual([...result.gone].sort(), [...goneIds].sort())
      assert.deepStrictEqual([...pruned].sort(), [...goneIds].sort())
      assert.strictEqual(result.failed.length, 1)
      assert.strictEqual(result.failed[0]!.error._tag, "InvalidConnectionError")
      for (const id of liveIds) assert.deepStrictEqual(yield* control.messages(id), ["hello"])
    }).pipe(provide({ connections: [] }))
  )

  it.effect("reports onGone failures instead of raising them", () =>
    Effect.gen(function* () {
      const result = yield* Streamer.broadcast(Stream.make("goneAAAAAAAAAAA="), "x", {
        onGone: () => Effect.fail("store down")
      })
      assert.strictEqual(result.pruneFailed.length, 1)
      assert.strictEqual(result.pruneFailed[0]!.connectionId, "goneAAAAAAAAAAA=")
    }).pipe(provide({ connections: [] }))
  )

  it.effect("takes ids from a Stream and lets its failure through", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Streamer.broadcast(Stream.concat(Stream.make(live), Stream.fail("page")), "x"))
      assert.strictEqual(error, "page")
    }).pipe(provide())
  )
})

describe("sink (in-memory transport)", () => {
  it.effect("delivers in order and stops at a GoneError", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const streamer = yield* Streamer.Streamer
      yield* Stream.run(Stream.make("a", "b", "c"), streamer.sink(live))
      assert.deepStrictEqual(yield* control.messages(live), ["a", "b", "c"])
      const error = yield* Effect.flip(Stream.run(Stream.make("x"), streamer.sink(gone)))
      assert.strictEqual(error._tag, "GoneError")
    }).pipe(provide())
  )

  it.effect("coalesces small text chunks, keeping order and content", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const streamer = yield* Streamer.Streamer
      const tokens = Array.from({ length: 500 }, (_, i) => `t${i} `)
      const fiber = yield* Effect.fork(
        Stream.run(Stream.fromIterable(tokens).pipe(Stream.rechunk(7)), streamer.sink(live, { coalesce: true }))
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const messages = yield* control.messages(live)
      assert.strictEqual(messages.join(""), tokens.join(""))
      assert.isBelow(messages.length, tokens.length)
    }).pipe(provide())
  )

  it.effect("coalescing respects maxBytes and sends bytes unmerged", () =>
    Effect.gen(function* () {
      const control = yield* StreamerTest.StreamerTest
      const streamer = yield* Streamer.Streamer
      const items: Array<string | Uint8Array> = ["aaaa", "bbbb", "cc", new Uint8Array([1, 2]), "dd"]
      const fiber = yield* Effect.fork(
        Stream.run(Stream.fromChunk(Chunk.fromIterable(items)), streamer.sink(live, { coalesce: { maxBytes: 8 } }))
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const payloads = yield* control.payloads(live)
      assert.deepStrictEqual(
        payloads.map((p) => Array.from(p)),
        [
          Array.from(new TextEncoder().encode("aaaabbbb")),
          Array.from(new TextEncoder().encode("cc")),
          [1, 2],
          Array.from(new TextEncoder().encode("dd"))
        ]
      )
    }).pipe(provide())
  )

  it.effect("a coalescing sink fails with the first error", () =>
    Effect.gen(function* () {
      const streamer = yield* Streamer.Streamer
      const fiber = yield* Effect.fork(
        Effect.flip(Stream.run(Stream.make("a", "b"), streamer.sink(gone, { coalesce: true })))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "GoneError")
    }).pipe(provide())
  )
})
