/**
 * Management API endpoints: normalising what a user passes, and deriving one from a Lambda WebSocket event.
 *
 * @since 0.1.0
 */
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]", "::1"])

/**
 * True for `localhost`, `[::1]` and the 127.0.0.0/8 range: the hosts where plain `http://` is allowed.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase()
  return loopbackHosts.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The synchronous form of {@link normalize}: the normalised endpoint, or why it is refused.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: string): Either.Either<string, string> => {
  if (typeof input !== "string") return Either.left("the endpoint must be a string")
  const trimmed = input.trim()
  if (trimmed.length === 0) return Either.left("the endpoint is empty")
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    return Either.left(
      `${JSON.stringify(trimmed.slice(0, 200))} is not a URL (expected https://{api-id}.execute-api.{region}.amazonaws.com/{stage})`
    )
  }
  const loopback = isLoopbackHost(url.hostname)
  let protocol: "https:" | "http:"
  switch (url.protocol) {
    case "https:":
    case "wss:":
      protocol = "https:"
      break
    case "http:":
    case "ws:":
      if (!loopback) return Either.left(`${url.protocol}// is allowed only for loopback hosts; use https://`)
      protocol = "http:"
      break
    default:
      return Either.left(`unsupported scheme ${url.protocol}; use https://`)
  }
  if (url.username || url.password) return Either.left("the endpoint must not carry user info")
  if (url.search || url.hash) return Either.left("the endpoint must not carry a query string or a fragment")
  if (url.hostname.length === 0) return Either.left("the endpoint has no host")
  let path = url.pathname.replace(/\/+$/, "")
  path = path.replace(/\/(?:@|%40)connections$/i, "")
  if (path.split("/").some((segment) => segment === "." || segment === "..")) {
    return Either.left("the endpoint path must not contain dot segments")
  }
  return Either.right(`${protocol}//${url.host}${path}`)
}

/**
 * Normalises an endpoint: `https://` and `wss://` (rewritten to `https://`) are accepted, `http://` only for a
 * loopback host; the stage path is kept, a trailing slash (and a trailing `/@connections`) dropped. Anything else
 * fails with a `ConfigError`.
 *
 * @example
 * ```ts
 * import { Endpoint } from "effect-streamer"
 *
 * Endpoint.normalize("wss://abc123.execute-api.us-west-2.amazonaws.com/production/")
 * // Effect succeeding with "https://abc123.execute-api.us-west-2.amazonaws.com/production"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalize = (input: string): Effect.Effect<string, ConfigError.ConfigError> =>
  Either.match(parse(input), {
    onLeft: (message) => Effect.fail(ConfigError.InvalidData(["endpoint"], message)),
    onRight: Effect.succeed
  })

/**
 * The part of a Lambda WebSocket event this module reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebSocketEventLike {
  readonly requestContext: {
    readonly domainName?: string | undefined
    readonly stage?: string | undefined
    readonly apiId?: string | undefined
  }
}

/**
 * The Management API endpoint for the API that delivered a Lambda WebSocket event:
 * `https://{domainName}/{stage}` on an `execute-api` host, `http://{domainName}/{stage}` on a loopback host
 * (the local gateway), and `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` behind a custom domain,
 * where `domainName/stage` would be wrong. The region is `options.region`, else `AWS_REGION`, else
 * `AWS_DEFAULT_REGION`, else `us-east-1`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromWebSocketEvent = (event: WebSocketEventLike, options?: { readonly region?: string }): string => {
  const { apiId, domainName = "", stage = "" } = event.requestContext
  const stagePath = stage.length > 0 ? `/${stage}` : ""
  const hostname = domainName.replace(/:\d+$/, "").toLowerCase()
  if (/\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/.test(hostname)) return `https://${domainName}${stagePath}`
  if (isLoopbackHost(hostname)) return `http://${domainName}${stagePath}`
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
  const region = options?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1"
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
  return `https://${apiId}.execute-api.${region}.${suffix}${stagePath}`
}
