import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Errors from "../src/internal/errors.js"
import { fromSdkError } from "../src/internal/sdkTransport.js"

const context = { connectionId: "L0SM9cOFvHcCIhw=", payloadSize: 10, maxSize: 131072 }
const none = () => undefined
const headers =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name]

describe("error mapping", () => {
  const byName: Array<[number | undefined, string | undefined, string]> = [
    [410, undefined, "GoneError"],
    [410, "GoneException", "GoneError"],
    [undefined, "GoneException", "GoneError"],
    [400, "GoneException:http://internal.amazon.com/coral/com.amazonaws.gatewayservice/", "GoneError"],
    [403, undefined, "ForbiddenError"],
    [400, "AccessDeniedException", "ForbiddenError"],
    [403, "InvalidSignatureException", "ForbiddenError"],
    [403, "UnrecognizedClientException", "ForbiddenError"],
    [403, "MissingAuthenticationTokenException", "ForbiddenError"],
    [413, undefined, "PayloadTooLargeError"],
    [413, "PayloadTooLargeException", "PayloadTooLargeError"],
    [429, undefined, "ThrottlingError"],
    [429, "LimitExceededException", "ThrottlingError"],
    [400, "TooManyRequestsException", "ThrottlingError"],
    [400, "ThrottlingException", "ThrottlingError"],
    [400, "BadRequestException", "InvalidConnectionError"],
    [400, undefined, "InvalidConnectionError"],
    [500, undefined, "InternalServerError"],
    [502, undefined, "InternalServerError"],
    [503, "ServiceUnavailable", "InternalServerError"],
    [504, undefined, "InternalServerError"],
    [404, undefined, "RequestError"],
    [302, undefined, "RequestError"]
  ]
  for (const [status, name, tag] of byName) {
    it(`status ${status} name ${name} -> ${tag}`, () => {
      const error = Errors.fromAnswer(context, status, name, none, undefined)
      assert.strictEqual(error._tag, tag)
      assert.strictEqual(error.connectionId, context.connectionId)
    })
  }

  it("keeps the 5xx status", () => {
    const error = Errors.fromAnswer(context, 503, undefined, none, undefined)
    assert.strictEqual(error._tag === "InternalServerError" && error.httpStatusCode, 503)
  })

  it("carries the payload size and limit on 413", () => {
    const error = Errors.fromAnswer(context, 413, undefined, none, undefined)
    assert.isTrue(error._tag === "PayloadTooLargeError" && error.payloadSize === 10 && error.maxSize === 131072)
  })

  it("reads Retry-After seconds, HTTP dates and x-amz-retry-after milliseconds", () => {
    const now = Date.parse("2026-12-04T12:00:00Z")
    assert.deepStrictEqual(Errors.retryAfter(headers({ "retry-after": "2" }), now), Option.some(Duration.seconds(2)))
    assert.deepStrictEqual(
      Errors.retryAfter(headers({ "retry-after": "Fri, 04 Dec 2026 12:00:05 GMT" }), now),
      Option.some(Duration.millis(5000))
    )
    assert.deepStrictEqual(
      Errors.retryAfter(headers({ "retry-after": "Fri, 04 Dec 2026 11:00:00 GMT" }), now),
      Option.some(Duration.millis(0))
    )
    assert.deepStrictEqual(
      Errors.retryAfter(headers({ "x-amz-retry-after": "1500", "retry-after": "9" }), now),
      Option.some(Duration.millis(1500))
    )
    assert.deepStrictEqual(Errors.retryAfter(headers({ "retry-after": "soon" }), now), Option.none())
    assert.deepStrictEqual(Errors.retryAfter(none, now), Option.none())
    const throttled = Errors.fromAnswer(
      context,
      429,
      "LimitExceededException",
      headers({ "retry-after": "3" }),
      undefined
    )
    assert.isTrue(throttled._tag === "ThrottlingError" && Option.isSome(throttled.retryAfter))
  })

  it("maps SDK errors by name and by $metadata status, nameless 410 included", () => {
    const sdk = (name: string, status: number | undefined, h: Record<string, string> = {}) =>
      Object.assign(new Error("x"), { name, $metadata: { httpStatusCode: status }, $response: { headers: h } })
    assert.strictEqual(fromSdkError(context, sdk("GoneException", 410))._tag, "GoneError")
    assert.strictEqual(fromSdkError(context, sdk("Unknown", 410))._tag, "GoneError")
    assert.strictEqual(fromSdkError(context, sdk("410", 410))._tag, "GoneError")
    assert.strictEqual(
      fromSdkError(context, sdk("Unknown", 400, { "x-amzn-errortype": "GoneException" }))._tag,
      "GoneError"
    )
    assert.strictEqual(fromSdkError(context, sdk("ForbiddenException", 403))._tag, "ForbiddenError")
    const throttled = fromSdkError(context, sdk("LimitExceededException", 429, { "Retry-After": "4" }))
    assert.isTrue(
      throttled._tag === "ThrottlingError" && Duration.toMillis(Option.getOrThrow(throttled.retryAfter)) === 4000
    )
    assert.strictEqual(fromSdkError(context, sdk("InternalServerError", 500))._tag, "InternalServerError")
    const socket = fromSdkError(context, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))
    assert.isTrue(socket._tag === "RequestError" && socket.reason === "Transport")
    const creds = fromSdkError(
      context,
      Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError" })
    )
    assert.isTrue(creds._tag === "RequestError" && creds.reason === "Credentials" && !creds.isRetryable)
  })

  it("sanitize keeps only name, message and code", () => {
    const original = Object.assign(new Error("boom"), {
      code: "ECONNRESET",
      request: { headers: { authorization: "AWS4 secret" } }
    })
    const copy = Errors.sanitize(original) as Record<string, unknown>
    assert.strictEqual(copy.message, "boom")
    assert.strictEqual(copy.code, "ECONNRESET")
    assert.isUndefined(copy.request)
  })

  it("reads HTTP answers as the SDK does: x-amzn-ErrorType, then the body's code, then __type; cuts messages", () => {
    const h = (o: Record<string, string>) => (name: string) => o[name]
    assert.strictEqual(
      Errors.fromHttpAnswer(context, 400, h({ "x-amzn-errortype": "GoneException" }), "")._tag,
      "GoneError"
    )
    assert.strictEqual(
      Errors.fromHttpAnswer(context, 400, h({}), '{"Code":"LimitExceededException"}')._tag,
      "ThrottlingError"
    )
    assert.strictEqual(
      Errors.fromHttpAnswer(context, 400, h({}), '{"__type":"ns#ForbiddenException"}')._tag,
      "ForbiddenError"
    )
    assert.strictEqual(Errors.fromHttpAnswer(context, 404, h({}), "<html>not json</html>")._tag, "RequestError")
    const forbidden = Errors.fromHttpAnswer(
      context,
      403,
      h({ "x-amzn-errortype": "InvalidSignatureException" }),
      JSON.stringify({
        message:
          "Signature mismatch. The Canonical String for this request should have been 'x-amz-security-token:SECRET'"
      })
    )
    const cause = forbidden.cause as Error
    assert.include(cause.message, "Signature mismatch")
    assert.notInclude(cause.message, "SECRET")
  })
})
