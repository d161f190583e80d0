/**
 * Fan-out and streaming against the local gateway with real `ws` clients: `broadcast` to 2,000 live and 2,000 gone
 * ids, ids paged lazily from a Stream, interruption, ordered `sink` delivery through throttling, coalescing, the
 * first non-retryable error ending a sink, and typed JSON messages. Run once per transport, except the 2,000-client
 * broadcast (on "http", at two concurrencies) and the checks of broadcast's input (on "http").
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as LocalGateway from "../src/LocalGateway.js"
import * as Streamer from "../src/Streamer.js"
import { apiGatewayId } from "../src/internal/gateway/ids.js"
import { type Client, connect } from "./helpers/wsClient.js"
import { eventually, type TransportCase, transports } from "./helpers/transports.js"

/** `count` distinct ids in API Gateway's format that nobody holds. */
const goneIds = (count: number, taken: ReadonlySet<string> = new Set()): Array<string> => {
  const ids = new Set<string>()
  while (ids.size < count) {
    const id = apiGatewayId()
    if (!taken.has(id)) ids.add(id)
  }
  return [...ids]
}

const setup = (
  transport: TransportCase,
  gatewayOptions: LocalGateway.Options = {},
  options: Omit<Streamer.Options, "endpoint"> = {}
) =>
  Effect.gen(function* () {
    const gateway = yield* LocalGateway.make(gatewayOptions)
    const streamer = yield* transport.make({ endpoint: gateway.endpoint, ...options })
    return { gateway, streamer }
  })

/** Counts each id's POSTs as the gateway saw them. */
const postsById = (requests: ReadonlyArray<LocalGateway.RecordedRequest>) => {
  const counts = new Map<string, number>()
  for (const r of requests) if (r.method === "POST") counts.set(r.connectionId!, (counts.get(r.connectionId!) ?? 0) + 1)
  return counts
}

// ---- 2,000 live clients and 2,000 gone ids, shared by the broadcasts below ------------------------------------------

const liveCount = 2_000
const goneCount = 2_000

class Room extends Context.Tag("test/Room")<
  Room,
  {
    readonly gateway: LocalGateway.Handle
    readonly clients: ReadonlyArray<Client>
    readonly gone: ReadonlyArray<string>
  }
>() {}

const RoomLive = Layer.scoped(
  Room,
  Effect.gen(function* () {
    const gateway = yield* LocalGateway.make()
    const clients = yield* Effect.forEach(Array.from({ length: liveCount }), () => connect(gateway.wsUrl), {
      concurrency: 100
    })
    const gone = goneIds(goneCount, new Set(clients.map((c) => c.connectionId)))
    return { gateway, clients, gone }
  })
)

layer(RoomLive, { excludeTestServices: true })(`broadcast to ${liveCount} live and ${goneCount} gone ids`, (it) => {
  const latencies: Record<number, Duration.DurationInput> = { 50: "40 millis", 7: "4 millis" }
  // On "http" only: 4,000 requests cost several seconds on the other transports, which the cheaper tests below cover.
  const transport = transports.find((t) => t.name === "http")!
  for (const concurrency of [50, 7]) {
    // Without the test services, `it.scoped` runs on the live clock.
    it.scoped(
      `concurrency ${concurrency}: exact counts, onGone once per gone id, one message per client, ` +
        `never more than ${concurrency} requests in flight`,
      () =>
        Effect.gen(function* () {
          const { gateway, clients, gone } = yield* Room
          const streamer = yield* transport.make({ endpoint: gateway.endpoint })
          const received = Effect.forEach(clients, (c) => Effect.map(c.messages, (m) => m.length))
          const before = yield* received
          const already = before[0]!
          assert.isTrue(
            before.every((n) => n === already),
            "every client has as many messages as the others"
          )
          // Live and gone ids interleaved, as in a store where some connections left.
          const ids = clients.flatMap((c, i) => [c.connectionId, gone[i]!])
          const text = `broadcast ${transport.name} ${concurrency}`
          const pruned = new Map<string, number>()
          // Without latency the in-process gateway answers each request before reading the next, and nothing
          // overlaps; with it, every worker's request is held long enough for the bound to be reached.
          yield* Effect.acquireRelease(gateway.setFaults({ latency: latencies[concurrency] }), () =>
            Effect.orDie(gateway.setFaults(undefined))
          )
          yield* gateway.resetStats
          const result = yield* streamer.broadcast(ids, text, {
            concurrency,
            onGone: (id) => Effect.sync(() => pruned.set(id, (pruned.get(id) ?? 0) + 1))
          })

          assert.strictEqual(result.delivered, liveCount)
          assert.strictEqual(result.gone.length, goneCount)
          assert.deepStrictEqual([...result.gone].sort(), [...gone].sort())
          assert.deepStrictEqual(result.failed, [])
          assert.deepStrictEqual(result.pruneFailed, [])
          assert.strictEqual(pruned.size, goneCount)
          assert.deepStrictEqual([...pruned.keys()].sort(), [...gone].sort())
          assert.isTrue([...pruned.values()].every((n) => n === 1))

          const stats = yield* gateway.stats
          assert.strictEqual(stats.total, liveCount + goneCount)
          assert.strictEqual(stats.delivered, liveCount)
          assert.deepStrictEqual(stats.byStatus, { 200: liveCount, 410: goneCount })
          assert.strictEqual(stats.peakInFlight, concurrency, "the concurrency is reached, never exceeded")
          const posts = postsById(yield* gateway.requests)
          assert.strictEqual(posts.size, ids.length)
          assert.isTrue(
            ids.every((id) => posts.get(id) === 1),
            "one POST per id"
          )

          yield* eventually(Effect.map(received, (counts) => counts.every((n) => n >= already + 1)))
          for (const client of clients) {
            const messages = yield* client.messages
            assert.strictEqual(messages.length, already + 1)
            assert.strictEqual(messages[already]!.text, text)
          }
        })
    )
  }
})

describe("broadcast input", () => {
  const http = transports.find((t) => t.name === "http")!
  it.scopedLive(
    "a string is one id; a concurrency below 1 is 1, a fraction is floored, NaN the default, Infinity all the ids",
    () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(http, { faults: { latency: "100 millis" } })
        const client = yield* connect(gateway.wsUrl)
        const single = yield* streamer.broadcast(client.connectionId, "one")
        assert.strictEqual(single.delivered, 1)
        assert.deepStrictEqual(
          (yield* client.waitFor(1)).map((m) => m.text),
          ["one"]
        )
        assert.strictEqual((yield* gateway.stats).total, 1)
        const ids = goneIds(60)
        const cases: ReadonlyArray<readonly [concurrency: number, ids: number, peak: number]> = [
          [0, 5, 1],
          [-3, 5, 1],
          [2.7, 10, 2],
          [NaN, 60, 50],
          [Infinity, 60, 60]
        ]
        for (const [concurrency, count, peak] of cases) {
          yield* gateway.resetStats
          const result = yield* streamer.broadcast(ids.slice(0, count), "x", { concurrency })
          assert.strictEqual(result.gone.length, count)
          assert.strictEqual((yield* gateway.stats).peakInFlight, peak, `concurrency ${concurrency}`)
        }
      })
  )
})

// ---- per transport ---------------------------------------------------------------------------------------------------

for (const transport of transports) {
  describe(`fan-out: ${transport.name}`, () => {
    it.scopedLive("pulls ids from a paged Stream lazily, at most the concurrency ahead of completed posts", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport, { faults: { latency: "10 millis" } })
        const pageSize = 25
        const pages = 8
        const concurrency = 10
        const ids = goneIds(pageSize * pages)
        let fetched = 0
        let completed = 0
        const ahead: Array<number> = []
        const paged = Stream.paginateEffect(0, (page: number) =>
          Effect.sync(() => {
            ahead.push(fetched - completed)
            const chunk = ids.slice(page * pageSize, (page + 1) * pageSize)
            fetched += chunk.length
            return [chunk, page + 1 < pages ? Option.some(page + 1) : Option.none()] as const
          })
        ).pipe(Stream.flattenIterables)
        const result = yield* streamer.broadcast(paged, "x", {
          concurrency,
          onGone: () => Effect.sync(() => void completed++)
        })
        assert.strictEqual(result.gone.length, ids.length)
        assert.deepStrictEqual([...result.gone].sort(), [...ids].sort())
        assert.strictEqual(completed, ids.length)
        assert.strictEqual(ahead.length, pages)
        assert.isAtMost(Math.max(...ahead), concurrency, JSON.stringify(ahead))
        assert.isAtMost((yield* gateway.stats).peakInFlight, concurrency)
      })
    )

    it.scopedLive("interrupting a running broadcast aborts the requests in flight, sends no more, closes the ids", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport, { faults: { latency: "5 seconds" } })
        const ids = goneIds(500)
        let read = 0
        let closed = false
        const generate = function* () {
          try {
            for (const id of ids) {
              read++
              yield id
            }
          } finally {
            closed = true
          }
        }
        const fiber = yield* Effect.fork(streamer.broadcast(generate(), "x", { concurrency: 20 }))
        yield* eventually(Effect.map(gateway.stats, (s) => s.inFlight === 20))
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        assert.strictEqual(read, 20, "one id read per post in flight")
        assert.isTrue(closed, "the generator is closed")
        // Well under the 5 s each request would take to be answered.
        yield* eventually(Effect.map(gateway.stats, (s) => s.inFlight === 0)).pipe(Effect.timeout("2 seconds"))
        const total = (yield* gateway.stats).total
        yield* Effect.sleep("300 millis")
        const stats = yield* gateway.stats
        assert.strictEqual(total, 20)
        assert.strictEqual(stats.total, 20)
        assert.strictEqual(stats.inFlight, 0)
        assert.deepStrictEqual(stats.byStatus, {})
      })
    )

    // 1,000 on "http"; fewer on the transports that cost several milliseconds of CPU per request here.
    const chunkCount = transport.name === "http" ? 1_000 : 300
    it.scopedLive(`a sink delivers ${chunkCount} numbered chunks in order through injected throttling`, () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport, {}, { retry: { maxRetries: 30, base: "1 millis" } })
        const client = yield* connect(gateway.wsUrl)
        yield* gateway.setFaults({ throttle: 0.2, retryAfterSeconds: 0, seed: 20261204 })
        const chunks = Array.from({ length: chunkCount }, (_, i) => `chunk ${i}`)
        yield* Stream.run(Stream.fromIterable(chunks).pipe(Stream.rechunk(16)), streamer.sink(client.connectionId))
        const stats = yield* gateway.stats
        assert.isAbove(stats.throttled, chunkCount / 10)
        assert.strictEqual(stats.total, chunks.length + stats.throttled)
        assert.strictEqual(stats.delivered, chunks.length)
        const messages = yield* client.waitFor(chunks.length)
        assert.deepStrictEqual(
          messages.map((m) => m.text),
          chunks
        )
      })
    )

    it.scopedLive("coalescing keeps order and the exact text in fewer messages, none over 32768 bytes", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport)
        const client = yield* connect(gateway.wsUrl)
        const tokens = Array.from({ length: 10_000 }, (_, i) => `tök${i} ✓ `)
        const text = tokens.join("")
        assert.isAbove(new TextEncoder().encode(text).byteLength, 3 * 32768)
        yield* Stream.run(
          Stream.fromIterable(tokens).pipe(Stream.rechunk(7)),
          streamer.sink(client.connectionId, { coalesce: true })
        )
        const stats = yield* gateway.stats
        const messages = yield* client.waitFor(stats.delivered)
        assert.strictEqual(messages.length, stats.total)
        assert.strictEqual(stats.delivered, stats.total)
        assert.strictEqual(messages.map((m) => m.text).join(""), text)
        assert.isBelow(messages.length, tokens.length / 10)
        for (const m of messages) {
          assert.isAtMost(m.data.byteLength, 32768)
          assert.isFalse(m.isBinary)
        }
        assert.isTrue((yield* gateway.requests).every((r) => r.bodyBytes <= 32768))
      })
    )

    it.scopedLive("coalescing a paced token stream sends fewer messages; bytes go alone, unmerged", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport)
        const client = yield* connect(gateway.wsUrl)
        const tokens = Array.from({ length: 200 }, (_, i) => `t${i} `)
        yield* Stream.run(
          Stream.fromIterable(tokens).pipe(Stream.schedule(Schedule.spaced("1 millis"))),
          streamer.sink(client.connectionId, { coalesce: true })
        )
        const paced = yield* client.waitFor((yield* gateway.stats).delivered)
        assert.strictEqual(paced.map((m) => m.text).join(""), tokens.join(""))
        assert.isBelow(paced.length, tokens.length)

        const bytes = new Uint8Array([0xff, 0x00, 0xfe])
        const items: Array<string | Uint8Array> = ["aaaa", "bbbb", "cc", bytes, "dd", "ee"]
        yield* Stream.run(
          Stream.fromIterable(items),
          streamer.sink(client.connectionId, { coalesce: { maxBytes: 8, window: "50 millis" } })
        )
        const all = yield* client.waitFor(paced.length + 4)
        const rest = all.slice(paced.length)
        assert.deepStrictEqual(
          rest.map((m) => (m.isBinary ? Array.from(m.data) : m.text)),
          ["aaaabbbb", "cc", [0xff, 0x00, 0xfe], "ddee"]
        )
      })
    )

    it.scopedLive("a sink stops at the first non-retryable error: Gone after the client leaves, nothing after it", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport)
        const client = yield* connect(gateway.wsUrl)
        const id = client.connectionId
        const leave = client
          .close(1000)
          .pipe(
            Effect.zipRight(client.closed),
            Effect.zipRight(eventually(Effect.map(gateway.connection(id), Option.isNone)))
          )
        let pulled = 0
        const items = Stream.iterate(0, (n) => n + 1).pipe(
          Stream.tap((n) => (n === 5 ? leave : Effect.void)),
          Stream.tap(() => Effect.sync(() => void pulled++)),
          Stream.map((n) => `item ${n}`)
        )
        const error = yield* Effect.flip(Stream.run(items, streamer.sink(id)))
        assert.isTrue(error._tag === "GoneError" && error.connectionId === id, String(error))
        assert.strictEqual(pulled, 6)
        assert.deepStrictEqual(
          (yield* client.messages).map((m) => m.text),
          ["item 0", "item 1", "item 2", "item 3", "item 4"]
        )
        yield* Effect.sleep("100 millis")
        const requests = yield* gateway.requests
        assert.deepStrictEqual(
          requests.map((r) => r.status),
          [200, 200, 200, 200, 200, 410]
        )
      })
    )

    it.scopedLive("a coalescing sink ends with the GoneError, posts nothing after it and stops pulling", () =>
      Effect.gen(function* () {
        const { gateway, streamer } = yield* setup(transport)
        const client = yield* connect(gateway.wsUrl)
        const id = client.connectionId
        const before = Array.from({ length: 5 }, (_, n) => `item ${n} `).join("")
        const leave = eventually(Effect.map(client.messages, (m) => m.map((x) => x.text).join("") === before)).pipe(
          Effect.zipRight(client.close(1000)),
          Effect.zipRight(client.closed),
          Effect.zipRight(eventually(Effect.map(gateway.connection(id), Option.isNone)))
        )
        let pulled = 0
        // Endless, paced like a token stream: the sink must stop pulling once it has failed.
        const items = Stream.iterate(0, (n) => n + 1).pipe(
          Stream.schedule(Schedule.spaced("1 millis")),
          Stream.tap((n) => (n === 5 ? leave : Effect.void)),
          Stream.tap(() => Effect.sync(() => void pulled++)),
          Stream.map((n) => `item ${n} `)
        )
        const error = yield* Effect.flip(Stream.run(items, streamer.sink(id, { coalesce: true })))
        assert.isTrue(error._tag === "GoneError" && error.connectionId === id, String(error))
        assert.strictEqual((yield* client.messages).map((m) => m.text).join(""), before)
        const pulledAtEnd = pulled
        assert.isBelow(pulledAtEnd, 500, "the stream is not pulled on after the failure")
        yield* Effect.sleep("100 millis")
        assert.strictEqual(pulled, pulledAtEnd)
        const statuses = (yield* gateway.requests).map((r) => r.status)
        assert.strictEqual(statuses.filter((s) => s === 410).length, 1)
        assert.strictEqual(statuses[statuses.length - 1], 410, JSON.stringify(statuses))
      })
    )

    it.scopedLive(
      "postJson and broadcastJson encode through a Schema; an encoding failure is a ParseError, no request",
      () =>
        Effect.gen(function* () {
          const { gateway, streamer } = yield* setup(transport)
          const clients = yield* Effect.forEach(Array.from({ length: 20 }), () => connect(gateway.wsUrl))
          const [gone] = goneIds(1)
          // A literal field: the value's `kind: "notice"` must not widen the schema's type to string.
          const Message = Schema.Struct({
            kind: Schema.Literal("notice"),
            at: Schema.Date,
            text: Schema.String.pipe(Schema.maxLength(20)),
            count: Schema.NumberFromString
          })
          const at = new Date("2026-12-04T10:00:00.000Z")
          const value: typeof Message.Type = { kind: "notice", at, text: "héllo ✓ 日本", count: 42 }
          const json = '{"kind":"notice","at":"2026-12-04T10:00:00.000Z","text":"héllo ✓ 日本","count":"42"}'

          // Object literals inline: they type-check against the schema's type, literal field included.
          const withStreamer = Effect.provideService(Streamer.Streamer, streamer)
          yield* Streamer.postJson(clients[0]!.connectionId, Message, {
            kind: "notice",
            at,
            text: "héllo ✓ 日本",
            count: 42
          }).pipe(withStreamer)
          const pruned: Array<string> = []
          const result = yield* Streamer.broadcastJson(
            [...clients.map((c) => c.connectionId), gone!],
            Message,
            { kind: "notice", at, text: "héllo ✓ 日本", count: 42 },
            { concurrency: 4, onGone: (id) => Effect.sync(() => pruned.push(id)) }
          ).pipe(withStreamer)
          assert.strictEqual(result.delivered, 20)
          assert.deepStrictEqual(result.gone, [gone])
          assert.deepStrictEqual(pruned, [gone])
          const fromStream = yield* Streamer.broadcastJson(
            Stream.fromIterable(clients.slice(0, 3).map((c) => c.connectionId)),
            Message,
            { ...value, count: 7 }
          ).pipe(withStreamer)
          assert.strictEqual(fromStream.delivered, 3)
          const expected = (i: number) => [
            ...(i === 0 ? [json] : []),
            json,
            ...(i < 3 ? [json.replace('"42"', '"7"')] : [])
          ]
          for (const [i, client] of clients.entries()) {
            assert.deepStrictEqual(
              (yield* client.waitFor(expected(i).length)).map((m) => m.text),
              expected(i)
            )
          }

          yield* gateway.resetStats
          const tooLong = { ...value, text: "x".repeat(21) }
          let pulled = 0
          const ids = Stream.fromIterable(clients.map((c) => c.connectionId)).pipe(
            Stream.tap(() => Effect.sync(() => void pulled++))
          )
          const errors = [
            yield* Effect.flip(Streamer.postJson(clients[0]!.connectionId, Message, tooLong)).pipe(withStreamer),
            yield* Effect.flip(Streamer.broadcastJson(ids, Message, tooLong)).pipe(withStreamer),
            yield* Effect.flip(Streamer.broadcastJson([clients[0]!.connectionId], Message, tooLong)).pipe(withStreamer)
          ]
          for (const error of errors) assert.strictEqual(error._tag, "ParseError")
          assert.strictEqual(pulled, 0)
          assert.strictEqual((yield* gateway.stats).total, 0)
          yield* Effect.sleep("50 millis")
          for (const [i, client] of clients.entries()) {
            assert.strictEqual((yield* client.messages).length, expected(i).length)
          }
        })
    )
  })
}
