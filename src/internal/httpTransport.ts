/**
 * @internal
 * The signed HTTP transport: node:http(s) `request()` over one keep-alive agent per scope, SigV4 on node:crypto,
 * its own per-attempt timer, and the same error mapping as the SDK transport. `Streamer` imports this module on every
 * runtime (the portable path's included), so the `node:` modules are imported only when the transport is built.
 */
import type * as Http from "node:http"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { StreamerError } from "../StreamerError.js"
import * as ConnectionId from "./connectionId.js"
import * as Provider from "./credentials.js"
import * as Errors from "./errors.js"
import * as SigV4 from "./sigv4.js"
import type * as Canonical from "./sigv4Canonical.js"
import { type Config, fromCall, type Credentials, type Make, type Method, type Transport } from "./transport.js"

/** @internal Sockets per agent; API Gateway answers in tens of milliseconds, so this bounds the requests in flight. */
export const maxSockets = 256

/** Error bodies are small (`{"message": "..."}`); anything past this is drained, not kept. */
const maxErrorBody = 64 * 1024
const octetStream = "application/octet-stream"

interface Target {
  readonly secure: boolean
  /** The `Host` header, port included when it is not the scheme's default. */
  readonly host: string
  /** What the socket connects to (IPv6 without brackets). */
  readonly hostname: string
  readonly port: number
  /** The stage path without a trailing slash (`/production`, or empty). */
  readonly stagePath: string
}

/** @internal */
export const target = (endpoint: string): Target => {
  const url = new URL(endpoint)
  const secure = url.protocol === "https:"
  return {
    secure,
    host: url.host,
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port !== "" ? Number(url.port) : secure ? 443 : 80,
    stagePath: url.pathname.replace(/\/+$/, "")
  }
}

const headerGetter =
  (headers: Http.IncomingHttpHeaders) =>
  (name: string): string | undefined => {
    const value = headers[name]
    return Array.isArray(value) ? value[0] : value
  }

interface RequestHeaders extends Canonical.SignedHeaders {
  host: string
}

/** node:https for an https endpoint, else node:http (a loopback endpoint need not load TLS), and node:crypto. */
const loadNode = (secure: boolean) =>
  Effect.promise(() => Promise.all([secure ? import("node:https") : import("node:http"), import("node:crypto")]))

/** @internal The HTTP transport, with the credential provider's options (tests swap the default chain). */
export const makeWith = (config: Config, options?: Provider.Options): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { secure, host, hostname, port, stagePath } = target(config.endpoint)
    const [client, crypto] = yield* loadNode(secure)
    const agent = yield* Effect.acquireRelease(
      Effect.sync((): Http.Agent => new client.Agent({ keepAlive: true, maxSockets })),
      (agent) => Effect.sync(() => agent.destroy())
    )
    const provider = yield* Provider.make(config.credentials, options)
    const request: typeof Http.request = client.request
    const signer = SigV4.make(crypto)
    const region = config.region
    const timeout = config.timeout
    const timeoutMs = Duration.toMillis(timeout)
    const maxSize = config.maxPayloadBytes

    /**
     * One attempt. `parse` reads a 2xx body (GET); without it the body is drained and ignored. The effect ends when
     * the answer has been read to its end, so that the socket is back in the pool for the next request.
     */
    const send = <A>(
      method: Method,
      context: Errors.Context,
      body: Uint8Array | undefined,
      parse: ((body: string) => A) | undefined,
      credentials: Credentials
    ): Effect.Effect<A, StreamerError> =>
      Effect.async<A, StreamerError>((resume) => {
        const connectionId = context.connectionId
        const path = ConnectionId.path(stagePath, connectionId)
        const headers: RequestHeaders = { host }
        const signable: Canonical.Request =
          body !== undefined ? { method, host, path, body, contentType: octetStream } : { method, host, path }
        if (body !== undefined) {
          headers["content-type"] = octetStream
          headers["content-length"] = body.byteLength
        }
        let done = false
        let req: Http.ClientRequest
        try {
          signer.sign(signable, credentials, region, Date.now(), headers)
          req = request({ agent, method, hostname, port, path, headers })
        } catch (cause) {
          done = true
          resume(Effect.fail(Errors.transport(connectionId, cause)))
          return
        }
        const finish = (result: Effect.Effect<A, StreamerError>) => {
          if (done) return
          done = true
          clearTimeout(timer)
          resume(result)
        }
        const timer = setTimeout(() => {
          if (done) return
          done = true
          req.destroy()
          resume(Effect.fail(Errors.timeout(connectionId, timeout)))
        }, timeoutMs)
        req.on("error", (cause) => finish(Effect.fail(Errors.transport(connectionId, cause))))
        req.on("response", (res) => {
          const status = res.statusCode ?? 0
          const ok = status >= 200 && status < 300
          let text = ""
          if (ok && parse === undefined) {
            res.resume()
          } else {
            res.setEncoding("utf8")
            res.on("data", (chunk: string) => {
              if (text.length < maxErrorBody || ok) text += chunk
            })
          }
          res.on("end", () => {
            if (ok) {
              if (parse === undefined) return finish(Effect.void as Effect.Effect<A>)
              let value: A
              try {
                value = parse(text)
              } catch (cause) {
                return finish(
                  Effect.fail(Errors.fromAnswer(context, status, undefined, headerGetter(res.headers), cause))
                )
              }
              return finish(Effect.succeed(value))
            }
            finish(Effect.fail(Errors.fromHttpAnswer(context, status, headerGetter(res.headers), text)))
          })
          res.on("error", (cause) => finish(Effect.fail(Errors.transport(connectionId, cause))))
          res.on("close", () => {
            if (!res.complete)
              finish(Effect.fail(Errors.transport(connectionId, new Error("the answer was cut short"))))
          })
        })
        req.end(body)
        return Effect.sync(() => {
          if (done) return
          done = true
          clearTimeout(timer)
          req.destroy()
        })
      })

    return fromCall(
      (method, context, body, parse) =>
        Provider.use(provider, context.connectionId, timeout, (credentials) =>
          send(method, context, body, parse, credentials)
        ),
      maxSize
    )
  })

/** @internal The signed HTTP transport on node:http(s). */
export const make: Make = (config) => makeWith(config)
