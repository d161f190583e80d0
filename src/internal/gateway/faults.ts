import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type { Faults } from "../../LocalGateway.js"

/** @internal Faults checked and in numbers. */
export interface Resolved {
  readonly throttle: number
  readonly serverError: number
  readonly drop: number
  readonly hang: number
  readonly latencyMs: number
  readonly retryAfterSeconds: number
  readonly seed: number | undefined
}

/** @internal No faults at all. */
export const none: Resolved = {
  throttle: 0,
  serverError: 0,
  drop: 0,
  hang: 0,
  latencyMs: 0,
  retryAfterSeconds: 1,
  seed: undefined
}

const fraction = (name: string, value: unknown): Either.Either<number, string> => {
  if (value === undefined) return Either.right(0)
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    return Either.left(`faults.${name} must be a fraction between 0 and 1`)
  }
  return Either.right(value)
}

/** @internal Checks fault options: fractions in [0, 1] adding up to at most 1, a finite latency, an integer seed. */
export const resolve = (faults: Faults | undefined): Either.Either<Resolved, string> =>
  Either.gen(function* () {
    if (faults === undefined) return none
    if (typeof faults !== "object" || faults === null) return yield* Either.left("faults must be an object")
    const throttle = yield* fraction("throttle", faults.throttle)
    const serverError = yield* fraction("serverError", faults.serverError)
    const drop = yield* fraction("drop", faults.drop)
    const hang = typeof faults.hang === "boolean" ? (faults.hang ? 1 : 0) : yield* fraction("hang", faults.hang)
    if (throttle + serverError + drop + hang > 1 + 1e-9) {
      return yield* Either.left("faults.throttle + serverError + drop + hang must not exceed 1")
    }
    let latencyMs = 0
    if (faults.latency !== undefined) {
      const latency = Duration.decodeUnknown(faults.latency)
      if (latency._tag === "None" || !Duration.isFinite(latency.value)) {
        return yield* Either.left("faults.latency must be a finite duration")
      }
      latencyMs = Duration.toMillis(latency.value)
    }
    const retryAfterSeconds = faults.retryAfterSeconds ?? 1
    if (!Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
      return yield* Either.left("faults.retryAfterSeconds must be a non-negative integer")
    }
    if (faults.seed !== undefined && !Number.isSafeInteger(faults.seed)) {
      return yield* Either.left("faults.seed must be an integer")
    }
    return { throttle, serverError, drop, hang, latencyMs, retryAfterSeconds, seed: faults.seed }
  })

/** @internal The mulberry32 generator: 32 bits of state, uniform numbers in [0, 1), replayable from a seed. */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** @internal What a management request suffers, decided by one draw. */
export type Decision =
  | { readonly _tag: "None" }
  | { readonly _tag: "Throttle" }
  | { readonly _tag: "ServerError"; readonly status: 500 | 502 | 503 }
  | { readonly _tag: "Drop"; readonly afterDelivery: boolean }
  | { readonly _tag: "Hang" }

const serverErrorStatuses = [500, 502, 503] as const

/**
 * @internal
 * Maps one uniform draw `r` in [0, 1) to a fault: [0, throttle) throttles, the next `serverError` answers 500, 502
 * or 503 (in thirds), the next `drop` drops the socket (its first half before the operation, its second half after
 * it), the next `hang` never answers, and the rest is served normally.
 */
export const decide = (faults: Resolved, r: number): Decision => {
  let low = faults.throttle
  if (r < low) return { _tag: "Throttle" }
  if (r < low + faults.serverError) {
    const position = (r - low) / faults.serverError
    return { _tag: "ServerError", status: serverErrorStatuses[Math.min(2, Math.floor(position * 3))]! }
  }
  low += faults.serverError
  if (r < low + faults.drop) return { _tag: "Drop", afterDelivery: (r - low) / faults.drop >= 0.5 }
  low += faults.drop
  if (r < low + faults.hang) return { _tag: "Hang" }
  return { _tag: "None" }
}
