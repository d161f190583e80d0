/**
 * The chat end to end: real `ws` clients, the local gateway invoking the handler as API Gateway would, and the
 * handler posting back through the Management API of the gateway (over HTTP, signed, with the real transport).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as LocalGateway from "../../src/LocalGateway.js"
import * as WsClient from "../../test/helpers/wsClient.js"
import { make } from "./handler.js"

/** A gateway on a free port invoking a fresh chat handler (disposed with the scope). */
const chat = Effect.gen(function* () {
  const handler = make()
  yield* Effect.addFinalizer(() => Effect.promise(() => handler.dispose()))
  const gateway = yield* LocalGateway.make({ handler, routes: handler.routeKeys })
  const join = (room: string, name: string) =>
    Effect.gen(function* () {
      const client = yield* WsClient.connect(gateway.wsUrl)
      yield* client.send(JSON.stringify({ action: "join", room, name }))
      return client
    })
  return { gateway, join }
})

const parsed = (messages: ReadonlyArray<WsClient.Message>) => messages.map((m) => JSON.parse(m.text) as unknown)

describe("chat through the local gateway", () => {
  it.scoped("two clients join a room and talk through the route handlers", () =>
    Effect.gen(function* () {
      const { join } = yield* chat
      const alice = yield* join("lobby", "alice")
      assert.deepStrictEqual(parsed(yield* alice.waitFor(1)), [{ _tag: "welcome", room: "lobby", members: ["alice"] }])
      const bob = yield* join("lobby", "bob")
      assert.deepStrictEqual(parsed(yield* bob.waitFor(1)), [
        { _tag: "welcome", room: "lobby", members: ["alice", "bob"] }
      ])
      assert.deepStrictEqual(parsed(yield* alice.waitFor(2))[1], { _tag: "joined", room: "lobby", name: "bob" })

      yield* alice.send(JSON.stringify({ action: "say", text: "hi bob 👋" }))
      const expected = { _tag: "message", room: "lobby", from: "alice", text: "hi bob 👋" }
      assert.deepStrictEqual(parsed(yield* alice.waitFor(3))[2], expected)
      assert.deepStrictEqual(parsed(yield* bob.waitFor(2))[1], expected)

      yield* bob.send(JSON.stringify({ action: "say", text: "hello alice" }))
      assert.deepStrictEqual(parsed(yield* alice.waitFor(4))[3], {
        _tag: "message",
        room: "lobby",
        from: "bob",
        text: "hello alice"
      })

      // bob's socket closes: API Gateway invokes $disconnect, and the room hears of it
      yield* bob.close(1000, "bye")
      assert.deepStrictEqual(parsed(yield* alice.waitFor(5))[4], { _tag: "left", room: "lobby", name: "bob" })
    })
  )

  it.scoped("keeps rooms apart, and answers unknown actions and bad messages through $default and the routes", () =>
    Effect.gen(function* () {
      const { gateway, join } = yield* chat
      const alice = yield* join("lobby", "alice")
      const carol = yield* join("kitchen", "carol")
      yield* alice.waitFor(1)
      yield* carol.waitFor(1)
      yield* carol.send(JSON.stringify({ action: "dance" }))
      yield* carol.send("not json at all")
      yield* carol.send(JSON.stringify({ action: "say", text: "" }))
      yield* carol.send(JSON.stringify({ action: "say", text: "anyone in the kitchen?" }))
      // each message is its own invocation, run concurrently (as in API Gateway): the answers may come in any order
      assert.sameDeepMembers(parsed(yield* carol.waitFor(5)).slice(1), [
        { _tag: "error", message: "unknown action; use join, leave or say" },
        { _tag: "error", message: "unknown action; use join, leave or say" },
        { _tag: "error", message: "say needs a text of 1 to 4096 characters" },
        { _tag: "message", room: "kitchen", from: "carol", text: "anyone in the kitchen?" }
      ])
      assert.strictEqual((yield* alice.messages).length, 1, "nothing from the kitchen reaches the lobby")
      assert.strictEqual((yield* gateway.connections).length, 2)
    })
  )
})
