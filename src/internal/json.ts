/**
 * @internal
 * Typed JSON: the JSON text of a value encoded with a `Schema`. `Streamer.postJson` and `Streamer.broadcastJson` load
 * this module with `import()` on first use, so that an app that never posts typed JSON does not evaluate
 * `effect/Schema` at start-up (and, in a split bundle, does not load it at all).
 */
import type * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * @internal
 * An encoding failure (a value the schema refuses, or one `JSON.stringify` cannot write) is a `ParseError`.
 */
export const encode = <A, I>(
  schema: Schema.Schema<A, I, never>,
  value: A
): Effect.Effect<string, ParseResult.ParseError> => Schema.encode(Schema.parseJson(schema))(value)
