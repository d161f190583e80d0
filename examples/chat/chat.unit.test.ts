/**
 * The chat's routes against the in-memory Streamer: no gateway, no network, every post recorded.
 */
import { assert, describe, it } from "@effect/vitest"
import type { APIGatewayProxyWebsocketEventV2 } from "aws-lambda"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Streamer, StreamerTest } from "../../src/index.js"
import { make } from "./handler.js"

const alice = "L0SM9cOFvHcCIhw="
const bob = "ZDb-VclrIAMCJ3w="
const carol = "R0oXAdfD0kwCH6w="

/** An API Gateway event for `routeKey` from `connectionId` (the fields the chat does not read are constants). */
const event = (connectionId: string, routeKey: string, body?: unknown): APIGatewayProxyWebsocketEventV2 =>
  ({
    requestContext: {
      routeKey,
      eventType: routeKey === "$connect" ? "CONNECT" : routeKey === "$disconnect" ? "DISCONNECT" : "MESSAGE",
      messageId: "L0SM9dNXvHcCIhw=",
      extendedRequestId: "L0SM9GH2vHcFqHQ=",
      requestTime: "04/Dec/2026:10:00:00 +0000",
      messageDirection: "IN",
      stage: "production",
      connectedAt: 1796378400000,
      requestTimeEpoch: 1796378400123,
      requestId: "L0SM9GH2vHcFqHQ=",
      domainName: "abc123def4.execute-api.us-west-2.amazonaws.com",
      connectionId,
      apiId: "abc123def4"
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  }) as APIGatewayProxyWebsocketEventV2

/** The chat handler over an in-memory Streamer where alice, bob and carol are connected. */
const setup = Effect.gen(function* () {
  const { control, service } = yield* StreamerTest.make({ connections: [alice, bob, carol] })
  const handler = make({ streamerLayer: () => Layer.succeed(Streamer.Streamer, service) })
  yield* Effect.addFinalizer(() => Effect.promise(() => handler.dispose()))
  const send = (connectionId: string, routeKey: string, body?: unknown) =>
    Effect.promise(() => handler(event(connectionId, routeKey, body)))
  /** Everything a connection received, parsed. */
  const inbox = (connectionId: string) =>
    Effect.map(control.messages(connectionId), (messages) => messages.map((m) => JSON.parse(m) as unknown))
  return { control, send, inbox }
})

describe("chat routes (StreamerTest)", () => {
  it.scoped("welcomes a joiner, tells the room, and delivers messages to the room only", () =>
    Effect.gen(function* () {
      const { inbox, send } = yield* setup
      assert.deepStrictEqual(yield* send(alice, "$connect"), { statusCode: 200 })
      assert.deepStrictEqual(yield* send(alice, "join", { action: "join", room: "lobby", name: " alice " }), {
        statusCode: 200
      })
      yield* send(bob, "join", { action: "join", room: "lobby", name: "bob" })
      yield* send(carol, "join", { action: "join", room: "kitchen", name: "carol" })
      yield* send(bob, "say", { action: "say", text: "hi all" })

      assert.deepStrictEqual(yield* inbox(alice), [
        { _tag: "welcome", room: "lobby", members: ["alice"] },
        { _tag: "joined", room: "lobby", name: "bob" },
        { _tag: "message", room: "lobby", from: "bob", text: "hi all" }
      ])
      assert.deepStrictEqual(yield* inbox(bob), [
        { _tag: "welcome", room: "lobby", members: ["alice", "bob"] },
        { _tag: "message", room: "lobby", from: "bob", text: "hi all" }
      ])
      assert.deepStrictEqual(yield* inbox(carol), [{ _tag: "welcome", room: "kitchen", members: ["carol"] }])
    })
  )

  it.scoped("answers bad messages with an error to the sender only", () =>
    Effect.gen(function* () {
      const { inbox, send } = yield* setup
      yield* send(bob, "join", { action: "join", room: "lobby", name: "bob" })
      yield* send(alice, "say", { action: "say", text: "anyone?" })
      yield* send(alice, "join", { action: "join", room: "", name: "alice" })
      yield* send(alice, "join", "{not json")
      yield* send(alice, "say", { action: "say", text: "" })
      yield* send(alice, "dance", { action: "dance" })
      yield* send(alice, "leave", { action: "leave" })
      assert.deepStrictEqual(
        (yield* inbox(alice)).map((m) => (m as { _tag: string; message: string }).message),
        [
          "join a room first",
          "join needs a room (1-64 characters) and a name (1-32)",
          "join needs a room (1-64 characters) and a name (1-32)",
          "say needs a text of 1 to 4096 characters",
          "unknown action; use join, leave or say",
          "you are not in a room"
        ]
      )
      assert.deepStrictEqual(yield* inbox(bob), [{ _tag: "welcome", room: "lobby", members: ["bob"] }])
    })
  )

  it.scoped("tells the room when someone leaves, disconnects or moves to another room", () =>
    Effect.gen(function* () {
      const { control, inbox, send } = yield* setup
      for (const [id, name] of [
        [alice, "alice"],
        [bob, "bob"],
        [carol, "carol"]
      ] as const) {
        yield* send(id, "join", { action: "join", room: "lobby", name })
      }
      yield* control.reset
      yield* send(bob, "leave", { action: "leave" })
      yield* send(carol, "join", { action: "join", room: "kitchen", name: "carol" })
      yield* control.disconnect(alice)
      assert.deepStrictEqual(yield* send(alice, "$disconnect"), { statusCode: 200 })
      assert.deepStrictEqual(yield* inbox(alice), [
        { _tag: "left", room: "lobby", name: "bob" },
        { _tag: "left", room: "lobby", name: "carol" }
      ])
      assert.deepStrictEqual(yield* inbox(bob), [{ _tag: "left", room: "lobby", name: "bob" }])
      assert.deepStrictEqual(yield* inbox(carol), [
        { _tag: "left", room: "lobby", name: "bob" },
        { _tag: "welcome", room: "kitchen", members: ["carol"] }
      ])
    })
  )

  it.scoped("prunes connections API Gateway reports gone, without a $disconnect", () =>
    Effect.gen(function* () {
      const { control, inbox, send } = yield* setup
      yield* send(alice, "join", { action: "join", room: "lobby", name: "alice" })
      yield* send(bob, "join", { action: "join", room: "lobby", name: "bob" })
      // bob's socket is gone but $disconnect never came (it is best-effort)
      yield* control.disconnect(bob)
      yield* send(alice, "say", { action: "say", text: "still there?" })
      const posts = (yield* control.requests).filter((r) => r.operation === "post").slice(-2)
      assert.sameDeepMembers(
        posts.map((r) => `${r.connectionId} ${r.error?._tag ?? "delivered"}`),
        [`${alice} delivered`, `${bob} GoneError`]
      )
      yield* control.reset
      yield* send(alice, "say", { action: "say", text: "hello?" })
      yield* send(carol, "join", { action: "join", room: "lobby", name: "carol" })
      const requests = yield* control.requests
      assert.isFalse(
        requests.some((r) => r.connectionId === bob),
        "bob was pruned: nothing more is posted to him"
      )
      assert.deepStrictEqual((yield* inbox(carol))[0], { _tag: "welcome", room: "lobby", members: ["alice", "carol"] })
    })
  )
})
