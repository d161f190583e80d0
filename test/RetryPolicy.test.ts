import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { retrying } from "../src/internal/service.js"
import { GoneError, InternalServerError, type StreamerError, ThrottlingError } from "../src/StreamerError.js"

const id = "L0SM9cOFvHcCIhw="

/** An operation failing with the given errors in turn, then succeeding; records when each attempt started. */
const scripted = (errors: ReadonlyArray<StreamerError>) => {
  const attempts: Array<number> = []
  const effect = Effect.gen(function* () {
    attempts.push(yield* TestClock.currentTimeMillis)
    const error = errors[attempts.length - 1]
    if (error) return yield* Effect.fail(error)
    return "ok"
  })
  return { attempts, effect }
}

const server = () => new InternalServerError({ connectionId: id, status: 500 })
const throttled = (seconds?: number) =>
  new ThrottlingError({
    connectionId: id,
    retryAfter: seconds === undefined ? Option.none() : Option.some(Duration.seconds(seconds))
  })

describe("RetryPolicy.schedule", () => {
  it.effect("backs off exponentially without jitter: 100, 200, 400 ms", () =>
    Effect.gen(function* () {
      const { attempts, effect } = scripted([server(), server(), server()])
      const fiber = yield* Effect.fork(Effect.retry(effect, RetryPolicy.schedule({ jitter: false })))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.deepStrictEqual(attempts, [0, 100, 300, 700])
    })
  )

  it.effect("stops after maxRetries and fails with the last error", () =>
    Effect.gen(function* () {
      const { attempts, effect } = scripted([server(), server(), server(), server(), server()])
      const fiber = yield* Effect.fork(Effect.flip(Effect.retry(effect, RetryPolicy.schedule({ maxRetries: 3 }))))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "InternalServerError")
      assert.strictEqual(attempts.length, 4)
    })
  )

  it.effect("stops at once on a non-retryable error", () =>
    Effect.gen(function* () {
      const { attempts, effect } = scripted([server(), new GoneError({ connectionId: id }), server()])
      const fiber = yield* Effect.fork(Effect.flip(Effect.retry(effect, RetryPolicy.schedule())))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "GoneError")
      assert.strictEqual(attempts.length, 2)
    })
  )

  it.effect("never retries before the server's Retry-After, unjittered", () =>
    Effect.gen(function* () {
      const { attempts, effect } = scripted([throttled(3), throttled(), throttled(1)])
      const fiber = yield* Effect.fork(Effect.retry(effect, RetryPolicy.schedule({ maxRetries: 5 })))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(attempts.length, 4)
      assert.strictEqual(attempts[1], 3000, "first retry exactly at the 3 s hint")
      const second = attempts[2]! - attempts[1]!
      assert.isTrue(second >= 160 && second <= 240, `jittered 200 ms backoff, got ${second}`)
      // The clock holds fractional times after a jittered delay: compare to the microsecond.
      assert.isAtLeast(attempts[3]! - attempts[2]!, 1000 - 1e-6)
    })
  )

  it.effect("jitter stays within 80-120 % and the cap holds", () =>
    Effect.gen(function* () {
      const errors = Array.from({ length: 8 }, server)
      const { attempts, effect } = scripted(errors)
      const fiber = yield* Effect.fork(Effect.retry(effect, RetryPolicy.schedule({ maxRetries: 8, cap: "1 second" })))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!)
      const nominal = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
      gaps.forEach((gap, i) => {
        // Gaps are differences of fractional clock times: compare to the microsecond.
        assert.isAtMost(gap, 1000 + 1e-6)
        assert.isAtLeast(gap, Math.min(nominal[i]! * 0.8, 1000) - 1e-6)
      })
    })
  )

  it.effect("maxRetries 0 makes one attempt", () =>
    Effect.gen(function* () {
      const { attempts, effect } = scripted([server()])
      const error = yield* Effect.flip(Effect.retry(effect, RetryPolicy.schedule({ maxRetries: 0 })))
      assert.strictEqual(error._tag, "InternalServerError")
      assert.strictEqual(attempts.length, 1)
    })
  )

  it("isPolicy tells a schedule from options", () => {
    assert.isTrue(RetryPolicy.isPolicy(RetryPolicy.schedule()))
    assert.isFalse(RetryPolicy.isPolicy({ maxRetries: 2 }))
    assert.isFalse(RetryPolicy.isPolicy(undefined))
  })

  it.effect(
    "the service's retrying starts the schedule on the first failure, with the same timeline as Effect.retry",
    () =>
      Effect.gen(function* () {
        const errors = () => [throttled(2), server(), server(), new GoneError({ connectionId: id })]
        const policy = RetryPolicy.schedule({ jitter: false, maxRetries: 5 })
        const a = scripted(errors())
        const b = scripted(errors())
        const fa = yield* Effect.fork(Effect.flip(Effect.retry(a.effect, policy)))
        const fb = yield* Effect.fork(Effect.flip(retrying(policy)(b.effect)))
        yield* TestClock.adjust("1 minute")
        assert.strictEqual((yield* Fiber.join(fa))._tag, "GoneError")
        assert.strictEqual((yield* Fiber.join(fb))._tag, "GoneError")
        assert.deepStrictEqual(b.attempts, a.attempts)
        assert.deepStrictEqual(b.attempts, [0, 2000, 2200, 2600])
        const ok = scripted([])
        assert.strictEqual(yield* retrying(policy)(ok.effect), "ok")
        assert.strictEqual(ok.attempts.length, 1)
        const never = scripted([new GoneError({ connectionId: id }), server()])
        assert.strictEqual((yield* Effect.flip(retrying(policy)(never.effect)))._tag, "GoneError")
        assert.strictEqual(never.attempts.length, 1)
      })
  )
})
