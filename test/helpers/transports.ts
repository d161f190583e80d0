import type * as ConfigError from "effect/ConfigError"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Streamer from "../../src/Streamer.js"

/** One way of reaching the Management API; the conformance suite runs every test once per entry. */
export interface TransportCase {
  readonly name: string
  readonly make: (options: Streamer.Options) => Effect.Effect<Streamer.Service, ConfigError.ConfigError, Scope.Scope>
}

export const transports: ReadonlyArray<TransportCase> = [
  { name: "http", make: (options) => Streamer.make({ ...options, transport: "http" }) },
  { name: "sdk", make: (options) => Streamer.make({ ...options, transport: "sdk" }) },
  {
    name: "portable (FetchHttpClient)",
    make: (options) => Streamer.makeWithHttpClient(options).pipe(Effect.provide(FetchHttpClient.layer))
  }
]

/** Polls `check` every 5 ms until it holds (bounded by the test's own timeout). */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
  Effect.flatMap(check, (ok) => (ok ? Effect.void : Effect.zipRight(Effect.sleep("5 millis"), eventually(check))))
