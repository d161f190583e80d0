import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { ConnectionInfo } from "../ConnectionInfo.js"
import type { StreamerError } from "../StreamerError.js"
import type * as Errors from "./errors.js"

/** @internal Static AWS credentials; the secret parts stay `Redacted`. */
export interface Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  readonly sessionToken?: Redacted.Redacted<string> | undefined
}

/** @internal What every transport is built from. */
export interface Config {
  /** The normalised endpoint, `https://host/stage` (or `http://` on loopback). */
  readonly endpoint: string
  readonly region: string
  readonly credentials: Credentials | undefined
  /** Per attempt; the transport owns the timer and fails with `RequestError` `Timeout`. */
  readonly timeout: Duration.Duration
  readonly maxPayloadBytes: number
}

/**
 * @internal
 * One attempt of each operation, ids already validated, errors already mapped. Interruption must abort the
 * request in flight. Retries, validation and spans live above, in the service.
 */
export interface Transport {
  readonly post: (connectionId: string, data: Uint8Array) => Effect.Effect<void, StreamerError>
  readonly get: (connectionId: string) => Effect.Effect<ConnectionInfo, StreamerError>
  readonly delete: (connectionId: string) => Effect.Effect<void, StreamerError>
}

/** @internal Builds a transport; a `ConfigError` when it cannot be built (a missing optional package). */
export type Make = (config: Config) => Effect.Effect<Transport, ConfigError.ConfigError, Scope.Scope>

/** @internal The Management API's methods. */
export type Method = "GET" | "POST" | "DELETE"

/** @internal One signed request: `parse` reads a 2xx body (GET); without it the body is ignored. */
export type Call = <A>(
  method: Method,
  context: Errors.Context,
  body: Uint8Array | undefined,
  parse: ((body: string) => A) | undefined
) => Effect.Effect<A, StreamerError>

/** @internal The three operations over one request function, as the HTTP transports build them. */
export const fromCall = (call: Call, maxSize: number): Transport => ({
  post: (connectionId, data) => call("POST", { connectionId, payloadSize: data.byteLength, maxSize }, data, undefined),
  get: (connectionId) =>
    call("GET", { connectionId, maxSize }, undefined, (body) => connectionInfoFromBody(connectionId, body)),
  delete: (connectionId) => call("DELETE", { connectionId, maxSize }, undefined, undefined)
})

/** @internal A GetConnection answer's body, as the wire carries it (JSON with ISO-8601 strings). */
export const connectionInfoFromBody = (connectionId: string, text: string): ConnectionInfo =>
  connectionInfoFromJson(connectionId, text.length === 0 ? {} : JSON.parse(text))

/** @internal The parsed body of a GetConnection answer. */
export const connectionInfoFromJson = (connectionId: string, json: unknown): ConnectionInfo => {
  const body = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>
  const identity = (typeof body.identity === "object" && body.identity !== null ? body.identity : {}) as Record<
    string,
    unknown
  >
  return new ConnectionInfo({
    connectionId,
    connectedAt: toDate(body.connectedAt),
    lastActiveAt: toDate(body.lastActiveAt),
    identity
  })
}

const toDate = (value: unknown): Date | undefined => {
  if (typeof value === "string" || typeof value === "number") {
    const date = new Date(typeof value === "number" && value < 1e11 ? value * 1000 : value)
    return Number.isNaN(date.getTime()) ? undefined : date
  }
  return value instanceof Date ? value : undefined
}
