/**
 * The typed errors of every Streamer operation: one class per case a caller handles differently.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-streamer/StreamerError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What every error answered by the server carries (the Go original's `APIError`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiError {
  readonly httpStatusCode: number
  readonly errorCode: string
  readonly isRetryable: boolean
}

/**
 * The connection no longer exists (410). Prune the id from your store.
 *
 * @since 0.1.0
 * @category errors
 */
export class GoneError extends Data.TaggedError("GoneError")<{
  readonly connectionId: string
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): 410 {
    return 410
  }
  /** @since 0.1.0 */
  get errorCode(): "GoneException" {
    return "GoneException"
  }
  /** @since 0.1.0 */
  get isRetryable(): false {
    return false
  }
  /** @since 0.1.0 */
  override get message(): string {
    return `connection ${this.connectionId} no longer exists (410 GoneException)`
  }
}

/**
 * The request was not permitted (403): missing permission, a bad signature or unknown credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export class ForbiddenError extends Data.TaggedError("ForbiddenError")<{
  readonly connectionId: string
  /** The name the server gave, such as `AccessDeniedException` or `InvalidSignatureException`. */
  readonly awsErrorName?: string
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): 403 {
    return 403
  }
  /** @since 0.1.0 */
  get errorCode(): "ForbiddenException" {
    return "ForbiddenException"
  }
  /** @since 0.1.0 */
  get isRetryable(): false {
    return false
  }
  /** @since 0.1.0 */
  override get message(): string {
    const name = this.awsErrorName && this.awsErrorName !== "ForbiddenException" ? ` (${this.awsErrorName})` : ""
    return `operation on connection ${this.connectionId} is forbidden (403)${name}`
  }
}

/**
 * The payload exceeds the limit: refused locally before any request, or answered 413 by the server.
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadTooLargeError extends Data.TaggedError("PayloadTooLargeError")<{
  readonly connectionId: string
  readonly payloadSize: number
  readonly maxSize: number
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): 413 {
    return 413
  }
  /** @since 0.1.0 */
  get errorCode(): "PayloadTooLargeException" {
    return "PayloadTooLargeException"
  }
  /** @since 0.1.0 */
  get isRetryable(): false {
    return false
  }
  /** @since 0.1.0 */
  override get message(): string {
    return `payload of ${this.payloadSize} bytes for connection ${this.connectionId} exceeds the limit of ${this.maxSize} bytes (413)`
  }
}

/**
 * The request was throttled (429, `LimitExceededException`). `retryAfter` is the server's hint, when it sent one.
 *
 * @since 0.1.0
 * @category errors
 */
export class ThrottlingError extends Data.TaggedError("ThrottlingError")<{
  readonly connectionId: string
  readonly retryAfter: Option.Option<Duration.Duration>
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): 429 {
    return 429
  }
  /** @since 0.1.0 */
  get errorCode(): "ThrottlingException" {
    return "ThrottlingException"
  }
  /** @since 0.1.0 */
  get isRetryable(): true {
    return true
  }
  /** @since 0.1.0 */
  override get message(): string {
    const after = Option.match(this.retryAfter, {
      onNone: () => "",
      onSome: (d) => `, retry after ${Duration.format(d)}`
    })
    return `request for connection ${this.connectionId} was throttled (429)${after}`
  }
}

/**
 * The service failed (any 5xx). `status` is the status it answered.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError extends Data.TaggedError("InternalServerError")<{
  readonly connectionId: string
  readonly status: number
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): number {
    return this.status
  }
  /** @since 0.1.0 */
  get errorCode(): "InternalServerError" {
    return "InternalServerError"
  }
  /** @since 0.1.0 */
  get isRetryable(): true {
    return true
  }
  /** @since 0.1.0 */
  override get message(): string {
    return `service error for connection ${this.connectionId} (${this.status})`
  }
}

/**
 * The connection id is malformed: refused locally before any request, or answered 400 by the server.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConnectionError extends Data.TaggedError("InvalidConnectionError")<{
  readonly connectionId: string
  readonly reason: string
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get httpStatusCode(): 400 {
    return 400
  }
  /** @since 0.1.0 */
  get errorCode(): "BadRequestException" {
    return "BadRequestException"
  }
  /** @since 0.1.0 */
  get isRetryable(): false {
    return false
  }
  /** @since 0.1.0 */
  override get message(): string {
    return `invalid connection id ${JSON.stringify(this.connectionId.slice(0, 160))}: ${this.reason}`
  }
}

/**
 * Why a request got no answer from the server.
 *
 * - `Transport`: the socket failed (refused, reset, dropped); retryable.
 * - `Timeout`: no answer within the per-attempt timeout; retryable.
 * - `Credentials`: no credentials could be resolved to sign the request; not retryable.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestErrorReason = "Transport" | "Timeout" | "Credentials"

/**
 * The request got no answer from the server (see {@link RequestErrorReason}).
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestError extends Data.TaggedError("RequestError")<{
  readonly connectionId: string
  readonly reason: RequestErrorReason
  readonly description?: string
  readonly cause?: unknown
}> {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.reason !== "Credentials"
  }
  /** @since 0.1.0 */
  override get message(): string {
    const what = this.description ? `: ${this.description}` : ""
    return `${this.reason} error for connection ${this.connectionId}${what}`
  }
}

/**
 * Every error of the library.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamerError =
  | GoneError
  | ForbiddenError
  | PayloadTooLargeError
  | ThrottlingError
  | InternalServerError
  | InvalidConnectionError
  | RequestError

/**
 * The errors of `postToConnection`: all of them.
 *
 * @since 0.1.0
 * @category models
 */
export type PostError = StreamerError

/**
 * The errors of `getConnection`: all but `PayloadTooLargeError`.
 *
 * @since 0.1.0
 * @category models
 */
export type GetError = Exclude<StreamerError, PayloadTooLargeError>

/**
 * The errors of `deleteConnection`: all but `PayloadTooLargeError`.
 *
 * @since 0.1.0
 * @category models
 */
export type DeleteError = Exclude<StreamerError, PayloadTooLargeError>

/**
 * @since 0.1.0
 * @category guards
 */
export const isStreamerError = (u: unknown): u is StreamerError => Predicate.hasProperty(u, TypeId)

/**
 * Whether a retry may succeed: throttling, 5xx, transport failures and timeouts.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (u: unknown): boolean => isStreamerError(u) && u.isRetryable

/**
 * True for the errors that carry an HTTP status and an AWS error code.
 *
 * @since 0.1.0
 * @category guards
 */
export const isApiError = (u: unknown): u is Exclude<StreamerError, RequestError> & ApiError =>
  isStreamerError(u) && u._tag !== "RequestError"
