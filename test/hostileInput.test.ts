import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import fc from "fast-check"
import * as Endpoint from "../src/Endpoint.js"
import * as ConnectionId from "../src/internal/connectionId.js"
import * as StreamerTest from "../src/StreamerTest.js"
import { hostileId } from "./helpers/hostileId.js"

const isValid = (id: string) => Option.isNone(ConnectionId.invalidReason(id))

describe("hostile input (property-based)", () => {
  it.effect("10,000 generated ids: a typed InvalidConnectionError with no request, or exactly one delivery", () =>
    Effect.gen(function* () {
      const { control, service } = yield* StreamerTest.make({ retry: false })
      const ids = fc.sample(hostileId, { numRuns: 10_000, seed: 20261204 })
      let invalid = 0
      for (const id of ids) {
        if (isValid(id)) yield* control.connect(id)
        const exit = yield* Effect.exit(service.postToConnection(id, "x"))
        if (Exit.isFailure(exit)) {
          assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail", `defect for ${JSON.stringify(id)}`)
          const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
          assert.strictEqual(error?._tag, "InvalidConnectionError", JSON.stringify(id))
          assert.isFalse(isValid(id))
          invalid++
        } else {
          assert.isTrue(isValid(id))
          yield* control.disconnect(id)
        }
      }
      const requests = yield* control.requests
      assert.strictEqual(requests.length, ids.length - invalid, "one request per valid id, none for invalid ones")
      assert.isAbove(invalid, 1000)
      assert.isAbove(ids.length - invalid, 1000)
    })
  )

  it("every valid id encodes to exactly one path segment that decodes back to it", () => {
    fc.assert(
      fc.property(hostileId, (id) => {
        if (!isValid(id)) return
        const segment = ConnectionId.encodeSegment(id)
        assert.notInclude(segment, "/")
        assert.notInclude(segment, "?")
        assert.notInclude(segment, "#")
        assert.notStrictEqual(segment, ".")
        assert.notStrictEqual(segment, "..")
        assert.strictEqual(decodeURIComponent(segment), id)
        const url = new URL(`https://h.example/prod${ConnectionId.path("", id)}`)
        assert.strictEqual(url.pathname, `/prod/@connections/${segment}`)
      }),
      { numRuns: 10_000, seed: 42 }
    )
  })

  it.effect("generated payload sizes around the limit: refused above it, never a defect", () =>
    Effect.gen(function* () {
      const { control, service } = yield* StreamerTest.make({ retry: false })
      const id = yield* control.connect()
      const sizes = fc.sample(fc.integer({ min: 131072 - 64, max: 131072 + 64 }), { numRuns: 200, seed: 7 })
      for (const size of sizes) {
        const exit = yield* Effect.exit(service.postToConnection(id, new Uint8Array(size)))
        if (size <= 131072) assert.isTrue(Exit.isSuccess(exit), `size ${size}`)
        else
          assert.isTrue(
            Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "PayloadTooLargeError"
          )
      }
    })
  )

  it.effect("generated endpoint strings: a ConfigError or a normalised https/loopback endpoint, never a throw", () =>
    Effect.gen(function* () {
      const endpoint = fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.constantFrom(
          "wss://",
          "http://",
          "https://",
          "ws://127.0.0.1:99999/x",
          "https://[::1",
          "http://127.0.0.1.evil.com/x"
        ),
        fc
          .tuple(fc.constantFrom("https://", "wss://", "http://", "ws://", "ftp://", ""), fc.domain(), fc.webPath())
          .map(([a, b, c]) => a + b + c)
      )
      for (const input of fc.sample(endpoint, { numRuns: 5_000, seed: 99 })) {
        const exit = yield* Effect.exit(Endpoint.normalize(input))
        if (Exit.isSuccess(exit)) {
          const url = new URL(exit.value)
          assert.isTrue(
            url.protocol === "https:" || (url.protocol === "http:" && Endpoint.isLoopbackHost(url.hostname))
          )
          assert.isFalse(exit.value.endsWith("/"))
          assert.strictEqual(url.search + url.hash, "")
        } else {
          assert.isTrue(
            exit.cause._tag === "Fail" && ConfigError.isConfigError(exit.cause.error),
            JSON.stringify(input)
          )
        }
      }
    })
  )
})
