/**
 * The chat's wire protocol: what clients send (selected by API Gateway's `$request.body.action`) and what the
 * server posts back, both as JSON.
 */
import * as Schema from "effect/Schema"

const Room = Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(64))
const Name = Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(32))

/** `{"action":"join","room":"lobby","name":"alice"}` */
export const Join = Schema.Struct({ action: Schema.Literal("join"), room: Room, name: Name })

/** `{"action":"say","text":"hello"}` */
export const Say = Schema.Struct({
  action: Schema.Literal("say"),
  text: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(4096))
})

/** What the server posts to clients. */
export const ServerMessage = Schema.Union(
  /** To the one who joined: the room and who is in it (themselves included). */
  Schema.TaggedStruct("welcome", { room: Schema.String, members: Schema.Array(Schema.String) }),
  /** To the others in the room. */
  Schema.TaggedStruct("joined", { room: Schema.String, name: Schema.String }),
  Schema.TaggedStruct("left", { room: Schema.String, name: Schema.String }),
  /** To everyone in the room, the sender included. */
  Schema.TaggedStruct("message", { room: Schema.String, from: Schema.String, text: Schema.String }),
  /** To the sender of something the server could not accept. */
  Schema.TaggedStruct("error", { message: Schema.String })
)
export type ServerMessage = typeof ServerMessage.Type

/** A server message as the JSON text that goes on the wire. */
export const encode = Schema.encodeSync(Schema.parseJson(ServerMessage))
