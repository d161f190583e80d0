import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import {
  ForbiddenError,
  GoneError,
  InternalServerError,
  InvalidConnectionError,
  PayloadTooLargeError,
  RequestError,
  type StreamerError,
  ThrottlingError
} from "../StreamerError.js"

/** @internal What the mapping knows about the request that failed. */
export interface Context {
  readonly connectionId: string
  readonly payloadSize?: number | undefined
  readonly maxSize: number
}

const forbiddenNames = new Set([
  "ForbiddenException",
  "AccessDeniedException",
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch"
])
const throttleNames = new Set([
  "LimitExceededException",
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded"
])

/**
 * @internal
 * The error name as AWS sends it in `x-amzn-ErrorType` (`GoneException:http://internal.amazon.com/...` and
 * `aws.protocoltests#GoneException` forms included).
 */
export const normalizeName = (raw: string | undefined | null): string | undefined => {
  if (!raw) return undefined
  let name = raw.split(":")[0]!.trim()
  const hash = name.lastIndexOf("#")
  if (hash >= 0) name = name.slice(hash + 1)
  return name.length > 0 ? name : undefined
}

/**
 * @internal
 * The server's retry hint: `x-amz-retry-after` (milliseconds) first, then `Retry-After` (seconds or an HTTP date).
 */
export const retryAfter = (
  header: (name: string) => string | undefined,
  now: number = Date.now()
): Option.Option<Duration.Duration> => {
  const amz = header("x-amz-retry-after")?.trim()
  if (amz && /^\d+(\.\d+)?$/.test(amz)) return Option.some(Duration.millis(Number(amz)))
  const standard = header("retry-after")?.trim()
  if (!standard) return Option.none()
  if (/^\d+(\.\d+)?$/.test(standard)) return Option.some(Duration.seconds(Number(standard)))
  const date = Date.parse(standard)
  return Number.isNaN(date) ? Option.none() : Option.some(Duration.millis(Math.max(0, date - now)))
}

/**
 * @internal
 * Classifies a server answer by AWS error name and HTTP status. The name wins where it is known, so a proxy's
 * odd status does not hide it; a 410 with no name (AWS's empty body, or an emulator's) is still Gone.
 */
export const fromAnswer = (
  context: Context,
  status: number | undefined,
  rawName: string | undefined,
  header: (name: string) => string | undefined,
  cause: unknown
): StreamerError => {
  const connectionId = context.connectionId
  const name = normalizeName(rawName)
  if (name === "GoneException" || status === 410) return new GoneError({ connectionId, cause })
  if ((name !== undefined && forbiddenNames.has(name)) || status === 403) {
    return new ForbiddenError({ connectionId, cause, ...(name !== undefined ? { awsErrorName: name } : {}) })
  }
  if (name === "PayloadTooLargeException" || status === 413) {
    return new PayloadTooLargeError({
      connectionId,
      payloadSize: context.payloadSize ?? 0,
      maxSize: context.maxSize,
      cause
    })
  }
  if ((name !== undefined && throttleNames.has(name)) || status === 429) {
    return new ThrottlingError({ connectionId, retryAfter: retryAfter(header), cause })
  }
  if (name === "BadRequestException" || status === 400) {
    return new InvalidConnectionError({ connectionId, reason: "the service refused the connection id (400)", cause })
  }
  if (status !== undefined && status >= 500) return new InternalServerError({ connectionId, status, cause })
  if (name === "InternalServerErrorException" || name === "InternalFailure" || name === "ServiceUnavailable") {
    return new InternalServerError({ connectionId, status: status ?? 500, cause })
  }
  return new RequestError({
    connectionId,
    reason: "Transport",
    description: `unexpected answer${status !== undefined ? ` ${status}` : ""}${name ? ` ${name}` : ""}`,
    cause
  })
}

const parseJson = (body: string): Record<string, unknown> | undefined => {
  if (body.length === 0) return undefined
  try {
    const json: unknown = JSON.parse(body)
    return typeof json === "object" && json !== null ? (json as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The AWS error name, looked up as the SDK does: `x-amzn-ErrorType`, then the body's `code` (any case), then `__type`. */
const errorName = (header: string | undefined, json: Record<string, unknown> | undefined): string | undefined => {
  if (header !== undefined && header.length > 0) return header
  if (json === undefined) return undefined
  for (const key in json) {
    if (key.toLowerCase() === "code") {
      const code = json[key]
      if (typeof code === "string" || typeof code === "number") return String(code)
    }
  }
  return typeof json.__type === "string" ? json.__type : undefined
}

/** The cause kept for an error answer: name, status and a cut message; never the request. */
const answerCause = (status: number, name: string | undefined, json: Record<string, unknown> | undefined): Error => {
  let message = `${status}${name !== undefined ? ` ${name}` : ""}`
  const raw = json?.message ?? json?.Message
  if (typeof raw === "string" && raw.length > 0) {
    // AWS's InvalidSignatureException message quotes the canonical request, session token included: never keep it.
    const cut = raw.split(/\s*The Canonical String for this request/)[0]!
    message += `: ${cut.length > 256 ? `${cut.slice(0, 256)}...` : cut}`
  }
  const error = new Error(message)
  error.name = name ?? "HttpError"
  return error
}

/**
 * @internal
 * A non-2xx answer read off the wire by the HTTP transports: the AWS name found as the SDK finds it, then
 * {@link fromAnswer}.
 */
export const fromHttpAnswer = (
  context: Context,
  status: number,
  header: (name: string) => string | undefined,
  body: string
): StreamerError => {
  const json = parseJson(body)
  const name = errorName(header("x-amzn-errortype"), json)
  return fromAnswer(context, status, name, header, answerCause(status, name, json))
}

/** @internal A request that ran out of time. */
export const timeout = (connectionId: string, after: Duration.Duration): RequestError =>
  new RequestError({ connectionId, reason: "Timeout", description: `no answer within ${Duration.format(after)}` })

/** @internal A socket that failed. Only the error's code and message are kept: never the request. */
export const transport = (connectionId: string, cause: unknown): RequestError => {
  const code = (cause as { code?: unknown })?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  return new RequestError({
    connectionId,
    reason: "Transport",
    description: typeof code === "string" ? `${code}: ${message}` : message,
    cause: sanitize(cause)
  })
}

/** @internal Credentials could not be resolved. */
export const credentials = (connectionId: string, cause: unknown): RequestError =>
  new RequestError({
    connectionId,
    reason: "Credentials",
    description: `no credentials to sign the request: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause: sanitize(cause)
  })

/** @internal A plain copy of an error: its name, message and code, nothing that could hold a request or a secret. */
export const sanitize = (cause: unknown): unknown => {
  if (!(cause instanceof Error)) return cause
  const copy = new Error(cause.message)
  copy.name = cause.name
  const code = (cause as { code?: unknown }).code
  if (code !== undefined) Object.assign(copy, { code })
  return copy
}
