/**
 * The chat's connection store: which connection is in which room, under which name.
 *
 * A service tag with an in-memory layer. In Lambda, memory lives only as long as one execution environment and is
 * not shared between concurrent environments: a deployed chat swaps `layerMemory` for a layer backed by DynamoDB
 * (or another shared store) with the same `Service`, and the routes do not change.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** A connection's place in a room. */
export interface Member {
  readonly connectionId: string
  readonly room: string
  readonly name: string
}

export interface Service {
  /** Puts a connection in a room (leaving any other one); answers the room it left, if any. */
  readonly join: (member: Member) => Effect.Effect<Option.Option<Member>>
  /** Takes a connection out of its room; answers where it was, if anywhere. */
  readonly leave: (connectionId: string) => Effect.Effect<Option.Option<Member>>
  /** Where a connection is. */
  readonly find: (connectionId: string) => Effect.Effect<Option.Option<Member>>
  /** The members of a room, in the order they joined. */
  readonly members: (room: string) => Effect.Effect<ReadonlyArray<Member>>
}

export class Rooms extends Context.Tag("chat/Rooms")<Rooms, Service>() {}

/** An in-memory store (one per layer build, so one per Lambda cold start). */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const byConnection = new Map<string, Member>()
  const byRoom = new Map<string, Map<string, Member>>()
  const remove = (connectionId: string): Option.Option<Member> => {
    const member = byConnection.get(connectionId)
    if (member === undefined) return Option.none()
    byConnection.delete(connectionId)
    const room = byRoom.get(member.room)
    room?.delete(connectionId)
    if (room?.size === 0) byRoom.delete(member.room)
    return Option.some(member)
  }
  return Rooms.of({
    join: (member) =>
      Effect.sync(() => {
        const previous = remove(member.connectionId)
        byConnection.set(member.connectionId, member)
        let room = byRoom.get(member.room)
        if (room === undefined) byRoom.set(member.room, (room = new Map()))
        room.set(member.connectionId, member)
        return previous
      }),
    leave: (connectionId) => Effect.sync(() => remove(connectionId)),
    find: (connectionId) => Effect.sync(() => Option.fromNullable(byConnection.get(connectionId))),
    members: (room) => Effect.sync(() => Array.from(byRoom.get(room)?.values() ?? []))
  })
})

export const layerMemory: Layer.Layer<Rooms> = Layer.effect(Rooms, makeMemory)
