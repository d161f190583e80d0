/**
 * The retry policy: jittered exponential backoff that retries only retryable errors and never earlier than the
 * server's `Retry-After`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { StreamerError } from "./StreamerError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Retries after the first attempt. Default 3. */
  readonly maxRetries?: number | undefined
  /** The first backoff delay, doubled at each retry. Default 100 ms. */
  readonly base?: Duration.DurationInput | undefined
  /** The longest backoff delay (the server's `Retry-After` may ask for more). Default 5 s. */
  readonly cap?: Duration.DurationInput | undefined
  /** Randomise each backoff delay between 80 % and 120 % of its value. Default true. */
  readonly jitter?: boolean | undefined
}

/**
 * The defaults: 3 retries, 100 ms base, 5 s cap, jittered.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = { maxRetries: 3, base: Duration.millis(100), cap: Duration.seconds(5), jitter: true } as const

/**
 * A policy: a `Schedule` fed with the error of each failed attempt.
 *
 * @since 0.1.0
 * @category models
 */
export type Policy = Schedule.Schedule<unknown, StreamerError>

/**
 * The server's retry hint carried by an error, if any.
 *
 * @since 0.1.0
 * @category getters
 */
export const retryAfter = (error: StreamerError): Option.Option<Duration.Duration> =>
  error._tag === "ThrottlingError" ? error.retryAfter : Option.none()

/**
 * The retry schedule. Retries at most `maxRetries` times, only while the error `isRetryable`; each delay is
 * `base * 2^n` jittered, at most `cap`, and never shorter than a `ThrottlingError`'s `retryAfter` (a floor the jitter
 * does not touch).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryPolicy, Streamer } from "effect-streamer"
 *
 * const send = Streamer.postToConnection("L0SM9cOFvHcCIhw=", "hi").pipe(
 *   Effect.retry(RetryPolicy.schedule({ maxRetries: 8 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const schedule = (options?: Options): Policy => {
  const maxRetries = Math.max(0, Math.floor(options?.maxRetries ?? defaults.maxRetries))
  const cap = Duration.decode(options?.cap ?? defaults.cap)
  const exponential = Schedule.exponential(options?.base ?? defaults.base, 2)
  const backoff = ((options?.jitter ?? defaults.jitter) ? Schedule.jittered(exponential) : exponential).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap))
  )
  return Schedule.identity<StreamerError>().pipe(
    Schedule.zipLeft(backoff),
    Schedule.modifyDelay((error, delay) =>
      Option.match(retryAfter(error), { onNone: () => delay, onSome: (floor) => Duration.max(delay, floor) })
    ),
    Schedule.whileInput((error: StreamerError) => error.isRetryable),
    Schedule.zipLeft(Schedule.recurs(maxRetries))
  )
}

/**
 * True for a ready `Schedule` (as opposed to policy options).
 *
 * @since 0.1.0
 * @category guards
 */
export const isPolicy = (u: unknown): u is Policy => Schedule.isSchedule(u)
