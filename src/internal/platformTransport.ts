/**
 * @internal
 * The portable transport: requests signed with WebCrypto (`sigv4Web.ts`) and sent through whatever
 * `@effect/platform` `HttpClient` the application provides (`FetchHttpClient` on Deno, Bun or Cloudflare Workers, an
 * instrumented client on Node). No `node:` import here or in what this module imports statically.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { StreamerError } from "../StreamerError.js"
import * as ConnectionId from "./connectionId.js"
import * as Provider from "./credentials.js"
import * as Errors from "./errors.js"
import type * as Canonical from "./sigv4Canonical.js"
import * as SigV4Web from "./sigv4Web.js"
import { type Config, fromCall, type Credentials, type Method, type Transport } from "./transport.js"

const octetStream = "application/octet-stream"
const secretHeaders = ["authorization", "x-amz-security-token"]

/** Adds the signature's secret headers to the names the client redacts from its spans (memoised per input). */
const withSecretsRedacted = (() => {
  let lastInput: ReadonlyArray<string | RegExp> | undefined
  let lastOutput: ReadonlyArray<string | RegExp> = secretHeaders
  return (names: ReadonlyArray<string | RegExp>): ReadonlyArray<string | RegExp> => {
    if (names !== lastInput) {
      lastInput = names
      lastOutput = [...names, ...secretHeaders.filter((name) => !names.includes(name))]
    }
    return lastOutput
  }
})()

/**
 * The application's `HttpClient`, looked up by the key `@effect/platform` gives its tag. Importing that tag from
 * `@effect/platform/HttpClient` would put that whole client module, and `effect/Schema` behind it, into every bundle
 * that reaches `Streamer`, even where the portable path is never used (docs/performance.md, cold start); a tag is found
 * by its key, so this one finds the same service (test/platformTransport.test.ts checks it).
 */
export const HttpClientTag = Context.GenericTag<HttpClient.HttpClient>("@effect/platform/HttpClient")

const manualRedirect: globalThis.RequestInit = { redirect: "manual" }

/**
 * fetch follows redirects by default, re-sending `x-amz-security-token` to wherever a redirect points. API Gateway never
 * redirects: a redirect is an unexpected answer, not something to follow. Other clients ignore this setting.
 */
const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.contextWithEffect((context: Context.Context<never>) => {
    const init = Context.getOption(context, FetchHttpClient.RequestInit)
    return Effect.provideService(
      effect,
      FetchHttpClient.RequestInit,
      init._tag === "Some" ? { ...init.value, redirect: "manual" } : manualRedirect
    )
  })

/** The socket error under fetch's `TypeError: fetch failed` (it carries the `code`), else what the client caught. */
const platformCause = (error: HttpClientError.HttpClientError): unknown => {
  const cause = error.cause ?? error
  const inner = (cause as { readonly cause?: unknown } | undefined)?.cause
  return inner instanceof Error && typeof (inner as { readonly code?: unknown }).code === "string" ? inner : cause
}

/**
 * @internal
 * The transport over the application's `HttpClient`. Timeouts use `Effect.timeoutFail` around the whole attempt
 * (credentials, signing, request and body); interruption aborts the request through the client.
 */
export const makeWithHttpClient = (
  config: Config
): Effect.Effect<Transport, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* HttpClientTag
    const provider = yield* Provider.make(config.credentials)
    const url = new URL(config.endpoint)
    const host = url.host
    const origin = url.origin
    const stagePath = url.pathname.replace(/\/+$/, "")
    const region = config.region
    const timeout = config.timeout
    const maxSize = config.maxPayloadBytes

    const interpret = <A>(
      context: Errors.Context,
      response: HttpClientResponse.HttpClientResponse,
      text: string,
      parse: ((body: string) => A) | undefined
    ): Effect.Effect<A, StreamerError> => {
      const status = response.status
      const header = (name: string): string | undefined => response.headers[name]
      if (status >= 200 && status < 300) {
        if (parse === undefined) return Effect.void as Effect.Effect<A>
        try {
          return Effect.succeed(parse(text))
        } catch (cause) {
          return Effect.fail(Errors.fromAnswer(context, status, undefined, header, cause))
        }
      }
      return Effect.fail(Errors.fromHttpAnswer(context, status, header, text))
    }

    const send = <A>(
      method: Method,
      context: Errors.Context,
      body: Uint8Array | undefined,
      parse: ((body: string) => A) | undefined,
      credentials: Credentials
    ): Effect.Effect<A, StreamerError> => {
      const path = ConnectionId.path(stagePath, context.connectionId)
      const signable: Canonical.Request =
        body !== undefined ? { method, host, path, body, contentType: octetStream } : { method, host, path }
      return Effect.flatMap(
        Effect.promise(() => SigV4Web.sign(signable, credentials, region, Date.now(), {})),
        (signed) => {
          let request = HttpClientRequest.setHeaders(
            HttpClientRequest.make(method)(origin + path),
            signed as Record<string, string>
          )
          if (body !== undefined) request = HttpClientRequest.bodyUint8Array(request, body, octetStream)
          return client.execute(request).pipe(
            Effect.flatMap((response) => Effect.map(response.text, (text) => [response, text] as const)),
            withoutRedirects,
            Effect.locallyWith(Headers.currentRedactedNames, withSecretsRedacted),
            Effect.mapError((error) => Errors.transport(context.connectionId, platformCause(error))),
            Effect.flatMap(([response, text]) => interpret(context, response, text, parse))
          )
        }
      )
    }

    return fromCall(
      (method, context, body, parse) =>
        Effect.timeoutFail(
          Provider.use(provider, context.connectionId, timeout, (credentials) =>
            send(method, context, body, parse, credentials)
          ),
          { duration: timeout, onTimeout: () => Errors.timeout(context.connectionId, timeout) }
        ),
      maxSize
    )
  })
