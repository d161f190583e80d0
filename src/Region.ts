/**
 * Region resolution, in the Go original's order: the explicit option, the region of an `execute-api` host,
 * `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The region used when nothing else names one.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRegion = "us-east-1"

const executeApiHost = /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/

/**
 * The region of an `execute-api` endpoint (`https://abc.execute-api.us-west-2.amazonaws.com/prod` gives
 * `us-west-2`); none for a custom domain, a loopback host or a malformed endpoint.
 *
 * @example
 * ```ts
 * import { Region } from "effect-streamer"
 *
 * Region.fromEndpoint("wss://abc123.execute-api.us-gov-west-1.amazonaws.com/prod") // Option.some("us-gov-west-1")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEndpoint = (endpoint: string): Option.Option<string> => {
  const host = hostOf(endpoint)
  if (host === undefined) return Option.none()
  const match = executeApiHost.exec(host)
  return match ? Option.some(match[1]!) : Option.none()
}

const hostOf = (endpoint: string): string | undefined => {
  const input = endpoint.trim()
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

const envRegion = (name: string) =>
  Config.string(name).pipe(
    Config.map((s) => s.trim()),
    Config.option,
    Effect.map(Option.filter((s) => s.length > 0)),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/**
 * Resolves the signing region: `region` if given, else the endpoint's, else `AWS_REGION`, else
 * `AWS_DEFAULT_REGION` (both read through Effect `Config`), else `us-east-1`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: { readonly region?: string | undefined; readonly endpoint?: string | undefined }) =>
  Effect.gen(function* () {
    const explicit = options.region?.trim()
    if (explicit) return explicit
    if (options.endpoint !== undefined) {
      const fromHost = fromEndpoint(options.endpoint)
      if (Option.isSome(fromHost)) return fromHost.value
    }
    const region = yield* envRegion("AWS_REGION")
    if (Option.isSome(region)) return region.value
    const fallback = yield* envRegion("AWS_DEFAULT_REGION")
    return Option.getOrElse(fallback, () => defaultRegion)
  }) as Effect.Effect<string>
