/**
 * Delivery under faults: 5,000 distinct messages to live `ws` clients through a gateway answering 20 % of requests
 * 429, 5 % 5xx and dropping 2 % of sockets (half of those after delivery), seeded so a failure can be replayed.
 * Run once per transport.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as LocalGateway from "../src/LocalGateway.js"
import type * as Streamer from "../src/Streamer.js"
import { type Client, connect } from "./helpers/wsClient.js"
import { eventually, transports } from "./helpers/transports.js"

const messages = 5_000
const clientCount = 50
const faults: LocalGateway.Faults = {
  throttle: 0.2,
  serverError: 0.05,
  drop: 0.02,
  retryAfterSeconds: 0,
  seed: 20261204
}

const run = (transport: (typeof transports)[number], retry: Streamer.Options["retry"]) =>
  Effect.gen(function* () {
    const gateway = yield* LocalGateway.make()
    const clients: Array<Client> = yield* Effect.forEach(Array.from({ length: clientCount }), () =>
      connect(gateway.wsUrl)
    )
    const service = yield* transport.make({ endpoint: gateway.endpoint, retry })
    yield* gateway.setFaults(faults)
    let slowest = 0
    const exits = yield* Effect.forEach(
      Array.from({ length: messages }, (_, i) => i),
      (i) =>
        Effect.suspend(() => {
          const started = performance.now()
          return service.postToConnection(clients[i % clientCount]!.connectionId, `m${i}`).pipe(
            Effect.exit,
            Effect.tap(() => Effect.sync(() => (slowest = Math.max(slowest, performance.now() - started))))
          )
        }),
      { concurrency: 50 }
    )
    yield* gateway.setFaults(undefined)
    const succeeded = new Set<string>()
    const failures: Array<unknown> = []
    exits.forEach((exit, i) => {
      if (Exit.isSuccess(exit)) succeeded.add(`m${i}`)
      else failures.push(exit.cause._tag === "Fail" ? exit.cause.error : exit.cause)
    })
    const received = () =>
      Effect.map(
        Effect.forEach(clients, (c) => c.messages),
        (all) => all.flat().map((m) => m.text)
      )
    yield* eventually(Effect.map(received(), (texts) => new Set(texts).size >= succeeded.size))
    yield* Effect.sleep("100 millis")
    const texts = yield* received()
    const unique = new Set(texts)
    const stats = yield* gateway.stats
    const report = {
      transport: transport.name,
      retry: retry === undefined ? "default" : JSON.stringify(retry),
      sent: messages,
      succeeded: succeeded.size,
      failedTyped: failures.length,
      delivered: unique.size,
      duplicates: texts.length - unique.size,
      requests: stats.total,
      retries: stats.total - messages,
      throttled: stats.throttled,
      serverErrors: stats.serverErrors,
      dropped: stats.dropped,
      droppedAfterDelivery: stats.droppedAfterDelivery,
      slowestCallMs: Math.round(slowest)
    }
    console.log(`fault run ${JSON.stringify(report)}`)
    return { succeeded, failures, texts, unique, stats, report }
  })

for (const transport of transports) {
  describe(`resilience: ${transport.name}`, () => {
    it.scopedLive("default policy: every message arrives or comes back as a typed retryable error", () =>
      Effect.gen(function* () {
        const { failures, report, stats, succeeded, texts, unique } = yield* run(transport, undefined)
        assert.strictEqual(succeeded.size + failures.length, messages, "every message accounted for")
        for (const m of succeeded) assert.isTrue(unique.has(m), `${m} reported delivered but never arrived`)
        for (const error of failures) {
          assert.isTrue(
            typeof error === "object" && error !== null && "isRetryable" in error && error.isRetryable === true,
            `not a typed retryable error: ${String(error)}`
          )
        }
        for (const text of unique) assert.match(text, /^m\d+$/)
        assert.isAtMost(texts.length - unique.size, stats.droppedAfterDelivery)
        assert.isAbove(report.retries, 1000, "the faults were really injected")
        assert.isAbove(stats.dropped, 0)
      })
    )

    it.scopedLive(
      "maxRetries 8: every message arrives (at least once); duplicates only from drops after delivery",
      () =>
        Effect.gen(function* () {
          const { failures, report, stats, succeeded, texts, unique } = yield* run(transport, { maxRetries: 8 })
          assert.strictEqual(failures.length, 0)
          assert.strictEqual(succeeded.size, messages)
          assert.strictEqual(unique.size, messages)
          assert.strictEqual(report.duplicates, texts.length - messages)
          assert.isAtMost(report.duplicates, stats.droppedAfterDelivery)
        })
    )
  })
}
