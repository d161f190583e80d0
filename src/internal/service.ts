import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { BroadcastOptions, Service } from "../Streamer.js"
import type { Policy } from "../RetryPolicy.js"
import { InvalidConnectionError, PayloadTooLargeError, type StreamerError } from "../StreamerError.js"
import * as ConnectionId from "./connectionId.js"
import * as Fanout from "./fanout.js"
import type { Config, Transport } from "./transport.js"

const encoder = new TextEncoder()

/** @internal Text as UTF-8; bytes as they are. */
export const toBytes = (data: string | Uint8Array): Uint8Array =>
  typeof data === "string" ? encoder.encode(data) : data

/**
 * @internal
 * The service over one transport: local validation, the retry policy and a span per public operation. Every
 * transport, and the in-memory test layer, share this, so they behave alike.
 */
export const make = (transport: Transport, config: Config, policy: Policy | undefined): Service => {
  const withRetry: <A>(effect: Effect.Effect<A, StreamerError>) => Effect.Effect<A, StreamerError> = policy
    ? (effect) => Effect.retry(effect, policy)
    : (effect) => effect

  const checkId = (connectionId: string): Effect.Effect<void, InvalidConnectionError> => {
    const reason = ConnectionId.invalidReason(connectionId)
    return Option.isNone(reason)
      ? Effect.void
      : Effect.fail(new InvalidConnectionError({ connectionId: String(connectionId), reason: reason.value }))
  }

  /** One post with validation and retries, without a span of its own (fan-out runs thousands). */
  const post = (connectionId: string, bytes: Uint8Array): Effect.Effect<void, StreamerError> => {
    const reason = ConnectionId.invalidReason(connectionId)
    if (Option.isSome(reason)) {
      return Effect.fail(new InvalidConnectionError({ connectionId: String(connectionId), reason: reason.value }))
    }
    if (bytes.byteLength > config.maxPayloadBytes) {
      return Effect.fail(
        new PayloadTooLargeError({ connectionId, payloadSize: bytes.byteLength, maxSize: config.maxPayloadBytes })
      )
    }
    return withRetry(transport.post(connectionId, bytes))
  }

  const postToConnection = Effect.fn("Streamer.postToConnection")(function* (
    connectionId: string,
    data: string | Uint8Array
  ) {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return yield* new InvalidConnectionError({
        connectionId: String(connectionId),
        reason: "data must be a string or a Uint8Array"
      })
    }
    return yield* post(connectionId, toBytes(data))
  })

  const getConnection = Effect.fn("Streamer.getConnection")(function* (connectionId: string) {
    yield* checkId(connectionId)
    return yield* withRetry(transport.get(connectionId))
  })

  const deleteConnection = Effect.fn("Streamer.deleteConnection")(function* (connectionId: string) {
    yield* checkId(connectionId)
    return yield* withRetry(transport.delete(connectionId)).pipe(Effect.catchTag("GoneError", () => Effect.void))
  })

  const postJson = <A, I>(connectionId: string, schema: Schema.Schema<A, I, never>, value: A) =>
    Schema.encode(Schema.parseJson(schema))(value).pipe(
      Effect.flatMap((text) => post(connectionId, encoder.encode(text))),
      Effect.withSpan("Streamer.postJson")
    )

  const broadcast = Fanout.broadcast(post)

  const broadcastJson = <A, I>(
    ids: Iterable<string> | Stream.Stream<string, unknown, unknown>,
    schema: Schema.Schema<A, I, never>,
    value: A,
    options?: BroadcastOptions
  ) =>
    Schema.encode(Schema.parseJson(schema))(value).pipe(
      Effect.flatMap((text) => broadcast(ids, text, options)),
      Effect.withSpan("Streamer.broadcastJson")
    )

  return {
    endpoint: config.endpoint,
    region: config.region,
    postToConnection: postToConnection as Service["postToConnection"],
    postJson: postJson as Service["postJson"],
    getConnection: getConnection as Service["getConnection"],
    deleteConnection: deleteConnection as Service["deleteConnection"],
    broadcast: broadcast as Service["broadcast"],
    broadcastJson: broadcastJson as Service["broadcastJson"],
    sink: Fanout.sink(post, config.maxPayloadBytes)
  }
}
