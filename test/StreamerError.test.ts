import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  ForbiddenError,
  GoneError,
  InternalServerError,
  InvalidConnectionError,
  isApiError,
  isRetryable,
  isStreamerError,
  PayloadTooLargeError,
  RequestError,
  type StreamerError,
  ThrottlingError
} from "../src/StreamerError.js"

const id = "L0SM9cOFvHcCIhw="

describe("StreamerError", () => {
  const table: Array<[StreamerError, number | undefined, string | undefined, boolean]> = [
    [new GoneError({ connectionId: id }), 410, "GoneException", false],
    [new ForbiddenError({ connectionId: id }), 403, "ForbiddenException", false],
    [
      new PayloadTooLargeError({ connectionId: id, payloadSize: 131073, maxSize: 131072 }),
      413,
      "PayloadTooLargeException",
      false
    ],
    [new ThrottlingError({ connectionId: id, retryAfter: Option.none() }), 429, "ThrottlingException", true],
    [new InternalServerError({ connectionId: id, status: 503 }), 503, "InternalServerError", true],
    [new InvalidConnectionError({ connectionId: "a/b", reason: "slash" }), 400, "BadRequestException", false],
    [new RequestError({ connectionId: id, reason: "Transport" }), undefined, undefined, true],
    [new RequestError({ connectionId: id, reason: "Timeout" }), undefined, undefined, true],
    [new RequestError({ connectionId: id, reason: "Credentials" }), undefined, undefined, false]
  ]

  for (const [error, status, code, retryable] of table) {
    it(`${error._tag} ${"reason" in error ? error.reason : ""} has status ${status}, code ${code}, retryable ${retryable}`, () => {
      assert.isTrue(isStreamerError(error))
      assert.strictEqual(error.isRetryable, retryable)
      assert.strictEqual(isRetryable(error), retryable)
      assert.instanceOf(error, Error)
      if (status === undefined) {
        assert.isFalse(isApiError(error))
      } else {
        assert.isTrue(isApiError(error))
        if (isApiError(error)) {
          assert.strictEqual(error.httpStatusCode, status)
          assert.strictEqual(error.errorCode, code)
        }
      }
      assert.include(error.message, error.connectionId.slice(0, 3))
    })
  }

  it("derives messages from fields", () => {
    assert.strictEqual(
      new PayloadTooLargeError({ connectionId: id, payloadSize: 131073, maxSize: 131072 }).message,
      `payload of 131073 bytes for connection ${id} exceeds the limit of 131072 bytes (413)`
    )
    assert.include(
      new ThrottlingError({ connectionId: id, retryAfter: Option.some(Duration.seconds(2)) }).message,
      "retry after 2s"
    )
    assert.include(
      new ForbiddenError({ connectionId: id, awsErrorName: "InvalidSignatureException" }).message,
      "InvalidSignatureException"
    )
    assert.include(
      new RequestError({ connectionId: id, reason: "Timeout", description: "no answer within 1s" }).message,
      "Timeout"
    )
  })

  it("guards reject foreign values", () => {
    assert.isFalse(isStreamerError(new Error("x")))
    assert.isFalse(isStreamerError({ _tag: "GoneError" }))
    assert.isFalse(isStreamerError(null))
    assert.isFalse(isRetryable("ThrottlingError"))
  })

  it.effect("errors are yieldable and matched by tag", () =>
    Effect.gen(function* () {
      const result = yield* new GoneError({ connectionId: id }).pipe(
        Effect.catchTag("GoneError", (e) => Effect.succeed(`gone ${e.connectionId}`))
      )
      assert.strictEqual(result, `gone ${id}`)
    })
  )

  it("keeps the cause", () => {
    const cause = new Error("boom")
    assert.strictEqual(new InternalServerError({ connectionId: id, status: 500, cause }).cause, cause)
  })
})
