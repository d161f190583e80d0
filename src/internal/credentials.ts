/**
 * @internal
 * Credentials for the signed HTTP transports: the options' static keys, then AWS's environment variables, then the
 * AWS default provider chain (`@aws-sdk/credential-provider-node`), loaded by dynamic import only when it is needed,
 * cached, and refreshed five minutes before expiry. Secrets stay `Redacted`. No `node:` import: the portable
 * transport uses this module too (where the chain is simply unavailable).
 */
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { RequestError, StreamerError } from "../StreamerError.js"
import * as Errors from "./errors.js"
import type { Credentials } from "./transport.js"

/** @internal What a credential provider of the AWS SDK resolves to (smithy's `AwsCredentialIdentity`). */
export interface Identity {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string | undefined
  readonly expiration?: Date | undefined
}

/** @internal An AWS SDK credential provider. */
export type ChainProvider = () => Promise<Identity>

/** @internal Loads the default provider chain. */
export type LoadChain = () => Promise<ChainProvider>

/** @internal */
export interface Provider {
  /** The credentials while they are known and fresh (the hot path: no allocation, no effect), else `undefined`. */
  readonly current: () => Credentials | undefined
  /** Resolves the credentials, refreshing them when missing or about to expire; concurrent callers share one lookup. */
  readonly resolve: (connectionId: string) => Effect.Effect<Credentials, RequestError>
}

/** @internal */
export interface Options {
  /** Default: `defaultProvider()` of `@aws-sdk/credential-provider-node`, imported on first use. */
  readonly loadChain?: LoadChain | undefined
  /** Refresh this long before expiry, in milliseconds. Default five minutes. */
  readonly refreshMargin?: number | undefined
}

// Not a literal specifier on purpose: bundlers (esbuild for Lambda, wrangler for Workers) leave it alone, so a
// bundle never carries the chain and a Workers build never meets its `node:` imports. Node resolves it from
// node_modules (the package is a dependency; Lambda's Node runtimes also ship it).
const chainModule = "@aws-sdk/credential-provider-node"

/** @internal The AWS default provider chain, imported on first use. */
export const loadDefaultChain: LoadChain = async () => {
  const module: { readonly defaultProvider: (init?: object) => ChainProvider } = await import(
    /* @vite-ignore */ chainModule
  )
  return module.defaultProvider()
}

/** @internal AWS's own variables, read through `Config` (so a `ConfigProvider` can stand in for the environment). */
export const fromEnvironment: Effect.Effect<Option.Option<Credentials>> = Config.all({
  accessKeyId: Config.string("AWS_ACCESS_KEY_ID"),
  secretAccessKey: Config.redacted("AWS_SECRET_ACCESS_KEY"),
  sessionToken: Config.option(Config.redacted("AWS_SESSION_TOKEN"))
}).pipe(
  Effect.map(({ accessKeyId, secretAccessKey, sessionToken }): Option.Option<Credentials> => {
    if (accessKeyId.length === 0 || Redacted.value(secretAccessKey).length === 0) return Option.none()
    const token = Option.filter(sessionToken, (t) => Redacted.value(t).length > 0)
    return Option.some(
      Option.isSome(token)
        ? { accessKeyId, secretAccessKey, sessionToken: token.value }
        : { accessKeyId, secretAccessKey }
    )
  }),
  Effect.orElseSucceed(() => Option.none<Credentials>())
)

/** @internal A provider that always answers the same credentials. */
export const fixed = (credentials: Credentials): Provider => {
  const resolved = Effect.succeed(credentials)
  return { current: () => credentials, resolve: () => resolved }
}

const fiveMinutes = 5 * 60 * 1000

/** @internal The chain behind a cache: looked up on first use, refreshed `refreshMargin` before expiry. */
export const fromChain = (options?: Options): Provider => {
  const loadChain = options?.loadChain ?? loadDefaultChain
  const margin = options?.refreshMargin ?? fiveMinutes
  let chain: ChainProvider | undefined
  let cached: Credentials | undefined
  let refreshAt = 0
  let expiresAt = 0
  let inflight: Promise<Credentials> | undefined

  const lookup = async (): Promise<Credentials> => {
    if (chain === undefined) chain = await loadChain()
    const identity = await chain()
    if (
      typeof identity !== "object" ||
      identity === null ||
      typeof identity.accessKeyId !== "string" ||
      typeof identity.secretAccessKey !== "string"
    ) {
      throw new Error("the credential provider answered no access key")
    }
    const credentials: Credentials =
      typeof identity.sessionToken === "string" && identity.sessionToken.length > 0
        ? {
            accessKeyId: identity.accessKeyId,
            secretAccessKey: Redacted.make(identity.secretAccessKey),
            sessionToken: Redacted.make(identity.sessionToken)
          }
        : { accessKeyId: identity.accessKeyId, secretAccessKey: Redacted.make(identity.secretAccessKey) }
    const now = Date.now()
    const expiration = identity.expiration instanceof Date ? identity.expiration.getTime() : Number.NaN
    expiresAt = Number.isNaN(expiration) ? Number.POSITIVE_INFINITY : expiration
    refreshAt = expiresAt - margin
    // Credentials handed out with less than the margin left: use them for half their remaining life, not once.
    if (refreshAt <= now) refreshAt = now + Math.max(0, expiresAt - now) / 2
    cached = credentials
    return credentials
  }

  const refresh = (): Promise<Credentials> => {
    if (inflight === undefined) {
      inflight = lookup().finally(() => {
        inflight = undefined
      })
    }
    return inflight
  }

  const current = (): Credentials | undefined => (cached !== undefined && Date.now() < refreshAt ? cached : undefined)

  const resolve = (connectionId: string): Effect.Effect<Credentials, RequestError> =>
    Effect.suspend(() => {
      const fresh = current()
      if (fresh !== undefined) return Effect.succeed(fresh)
      return Effect.tryPromise({ try: refresh, catch: (cause) => cause }).pipe(
        Effect.catchAll((cause) =>
          // A failed refresh of credentials that have not expired yet keeps them until they do.
          cached !== undefined && Date.now() < expiresAt
            ? Effect.succeed(cached)
            : Effect.fail(Errors.credentials(connectionId, cause))
        )
      )
    })

  return { current, resolve }
}

/**
 * @internal
 * The provider for a transport: static credentials when given, else the environment's (read now), else the chain.
 */
export const make = (credentials: Credentials | undefined, options?: Options): Effect.Effect<Provider> =>
  credentials !== undefined
    ? Effect.succeed(fixed(credentials))
    : Effect.map(fromEnvironment, Option.match({ onNone: () => fromChain(options), onSome: fixed }))

/**
 * @internal
 * Runs `f` with the credentials: at once while they are fresh (the hot path), else after resolving them, a lookup
 * slower than `timeout` failing as a `Timeout`.
 */
export const use = <A>(
  provider: Provider,
  connectionId: string,
  timeout: Duration.Duration,
  f: (credentials: Credentials) => Effect.Effect<A, StreamerError>
): Effect.Effect<A, StreamerError> => {
  const known = provider.current()
  return known !== undefined
    ? f(known)
    : Effect.flatMap(
        Effect.timeoutFail(provider.resolve(connectionId), {
          duration: timeout,
          onTimeout: () => Errors.timeout(connectionId, timeout)
        }),
        f
      )
}
