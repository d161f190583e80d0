/**
 * A chat room as Lambda routes: `join` {room, name}, `leave`, `say` {text}, selected by API Gateway's
 * `$request.body.action`. Messages reach the room through `Streamer.broadcast`, which prunes the connections
 * API Gateway reports gone.
 *
 * Deploy `handler` (bundled by `bundle.mjs`) behind a WebSocket API whose routes `$connect`, `$disconnect`,
 * `$default`, `join`, `leave` and `say` all integrate this function; run it locally with the CLI (see README.md).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Streamer, WebSocketHandler } from "../../src/index.js"
import { encode, Join, Say, type ServerMessage } from "./protocol.js"
import { layerMemory, Rooms } from "./Rooms.js"

/** Posts to the connection that sent the event; a sender that is already gone is no error. */
const reply = (event: WebSocketHandler.RouteEvent, message: ServerMessage) =>
  Streamer.postToConnection(event.connectionId, encode(message)).pipe(Effect.catchTag("GoneError", () => Effect.void))

/** Posts to everyone in a room (but `except`), forgetting the connections found gone. */
const toRoom = (room: string, message: ServerMessage, except?: string) =>
  Effect.gen(function* () {
    const rooms = yield* Rooms
    const ids = (yield* rooms.members(room)).map((m) => m.connectionId).filter((id) => id !== except)
    const result = yield* Streamer.broadcast(ids, encode(message), { onGone: (id) => rooms.leave(id) })
    if (result.gone.length > 0) yield* Effect.logInfo(`pruned ${result.gone.length} gone connection(s) from ${room}`)
    for (const { connectionId, error } of result.failed) {
      yield* Effect.logWarning(`could not post to ${connectionId}: ${error._tag}`)
    }
  })

/** Takes a connection out of its room and tells the others. */
const leaveRoom = (connectionId: string) =>
  Effect.gen(function* () {
    const left = yield* Effect.flatMap(Rooms, (rooms) => rooms.leave(connectionId))
    if (Option.isSome(left)) {
      const { name, room } = left.value
      yield* toRoom(room, { _tag: "left", room, name })
    }
    return left
  })

/** The handler, with what tests may replace (the Streamer of each endpoint). */
export const make = (options: Omit<WebSocketHandler.Options<unknown>, "routes"> = {}) =>
  WebSocketHandler.make({
    ...options,
    layer: layerMemory,
    routes: {
      // Nothing can be posted to a connection during its own $connect (API Gateway answers 410): accept it only.
      $connect: (event) => Effect.logDebug(`connected ${event.connectionId}`),

      $disconnect: (event) => Effect.asVoid(leaveRoom(event.connectionId)),

      join: (event) =>
        Effect.gen(function* () {
          const { name, room } = yield* event.decode(Join)
          const rooms = yield* Rooms
          const previous = yield* rooms.join({ connectionId: event.connectionId, room, name })
          if (Option.isSome(previous) && previous.value.room !== room) {
            yield* toRoom(previous.value.room, { _tag: "left", room: previous.value.room, name: previous.value.name })
          }
          const members = (yield* rooms.members(room)).map((m) => m.name)
          yield* reply(event, { _tag: "welcome", room, members })
          yield* toRoom(room, { _tag: "joined", room, name }, event.connectionId)
        }).pipe(
          Effect.catchTag("ParseError", () =>
            reply(event, { _tag: "error", message: "join needs a room (1-64 characters) and a name (1-32)" })
          )
        ),

      leave: (event) =>
        Effect.gen(function* () {
          const left = yield* leaveRoom(event.connectionId)
          if (Option.isSome(left)) yield* reply(event, { _tag: "left", room: left.value.room, name: left.value.name })
          else yield* reply(event, { _tag: "error", message: "you are not in a room" })
        }),

      say: (event) =>
        Effect.gen(function* () {
          const { text } = yield* event.decode(Say)
          const member = yield* Effect.flatMap(Rooms, (rooms) => rooms.find(event.connectionId))
          if (Option.isNone(member)) return yield* reply(event, { _tag: "error", message: "join a room first" })
          const { name, room } = member.value
          yield* toRoom(room, { _tag: "message", room, from: name, text })
        }).pipe(
          Effect.catchTag("ParseError", () =>
            reply(event, { _tag: "error", message: "say needs a text of 1 to 4096 characters" })
          )
        ),

      $default: (event) => reply(event, { _tag: "error", message: "unknown action; use join, leave or say" })
    }
  })

/** The Lambda entry point. */
export const handler = make()

/** The custom route keys, read by the local gateway's CLI for route selection (`$request.body.action`). */
export const routes = handler.routeKeys.filter((key) => !key.startsWith("$"))
