/**
 * Generated hostile ids against the real gateway: every id the library accepts reaches it as exactly one path segment
 * under `/{stage}/@connections/`, decoding back to itself; every other id is refused with no request. Per transport.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import fc from "fast-check"
import * as LocalGateway from "../src/LocalGateway.js"
import * as ConnectionId from "../src/internal/connectionId.js"
import { transports } from "./helpers/transports.js"
import { hostileId } from "./helpers/hostileId.js"

const ids = fc.sample(hostileId, { numRuns: 1_500, seed: 8086 })
const valid = ids.filter((id) => Option.isNone(ConnectionId.invalidReason(id)))

for (const transport of transports) {
  describe(`hostile ids on the wire: ${transport.name}`, () => {
    it.scopedLive("valid ids arrive as one segment that decodes back; invalid ones never leave", () =>
      Effect.gen(function* () {
        const gateway = yield* LocalGateway.make()
        const service = yield* transport.make({ endpoint: gateway.endpoint, retry: false })
        const tags = yield* Effect.forEach(
          ids,
          (id) => Effect.map(Effect.flip(service.postToConnection(id, "x")), (error) => [id, error._tag] as const),
          { concurrency: 20 }
        )
        for (const [id, tag] of tags) {
          const expected = Option.isNone(ConnectionId.invalidReason(id)) ? "GoneError" : "InvalidConnectionError"
          assert.strictEqual(tag, expected, JSON.stringify(id))
        }
        const requests = yield* gateway.requests
        assert.strictEqual(requests.length, valid.length)
        const seen = new Set<string>()
        for (const request of requests) {
          assert.match(request.path, /^\/local\/@connections\/[^/?#]+$/, request.path)
          assert.strictEqual(request.status, 410)
          seen.add(request.connectionId!)
        }
        assert.deepStrictEqual([...seen].sort(), [...new Set(valid)].sort())
      })
    )
  })
}
