/**
 * Real `ws` clients (and raw node:http requests) against a gateway, for tests.
 *
 * ```ts
 * const client = yield* WsClient.connect(gateway.wsUrl)
 * yield* streamer.postToConnection(client.connectionId, "hi")
 * const [message] = yield* client.waitFor(1)
 * ```
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import WebSocket from "ws"
import { connectionIdHeader } from "../../src/LocalGateway.js"

/** One message received by a client. */
export interface Message {
  readonly data: Buffer
  readonly isBinary: boolean
  /** `data` decoded as UTF-8. */
  readonly text: string
}

/** How a socket closed, as the client saw it. */
export interface CloseInfo {
  readonly code: number
  readonly reason: string
}

/** The handshake failed: `status` and `body` when the server answered something other than 101. */
export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly url: string
  readonly status?: number | undefined
  readonly body?: string | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.status !== undefined
      ? `handshake with ${this.url} answered ${this.status}`
      : `could not connect to ${this.url}: ${String(this.cause)}`
  }
}

/** The socket closed before the awaited messages arrived. */
export class ClosedError extends Data.TaggedError("ClosedError")<{
  readonly expected: number
  readonly received: number
  readonly close: CloseInfo
}> {
  override get message(): string {
    return `closed (${this.close.code}) after ${this.received} of ${this.expected} messages`
  }
}

export interface Client {
  readonly socket: WebSocket
  /** The id the gateway assigned (from its handshake header; empty when the server sent none). */
  readonly connectionId: string
  /** The handshake response headers. */
  readonly headers: Http.IncomingHttpHeaders
  /** Every message received so far, in order. */
  readonly messages: Effect.Effect<ReadonlyArray<Message>>
  /** Waits until at least `n` messages have arrived; fails if the socket closes first. */
  readonly waitFor: (n: number) => Effect.Effect<ReadonlyArray<Message>, ClosedError>
  /**
   * Sends a text frame (a string) or, with `binary`, a binary frame. With `fin: false` the frame is a fragment: the
   * message goes on in the next frames, up to one sent with `fin` true (the default).
   */
  readonly send: (
    data: string | Uint8Array,
    options?: { readonly binary?: boolean; readonly fin?: boolean }
  ) => Effect.Effect<void>
  readonly ping: Effect.Effect<void>
  /** Starts a close handshake (it does not wait for it: see `closed`). */
  readonly close: (code?: number, reason?: string) => Effect.Effect<void>
  /** Waits until the socket is closed. */
  readonly closed: Effect.Effect<CloseInfo>
  /** The close, if it happened already. */
  readonly closeInfo: Effect.Effect<CloseInfo | undefined>
}

export interface ConnectOptions {
  readonly headers?: Record<string, string> | undefined
}

/** Opens a client for the life of the scope (terminated when the scope closes). */
export const connect = (url: string, options: ConnectOptions = {}): Effect.Effect<Client, ConnectError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Client, ConnectError>((resume) => {
      const socket = new WebSocket(url, { headers: options.headers ?? {}, perMessageDeflate: false })
      const received: Array<Message> = []
      let closeInfo: CloseInfo | undefined
      const waiters = new Set<() => void>()
      const notify = () => {
        for (const waiter of [...waiters]) waiter()
      }
      let headers: Http.IncomingHttpHeaders = {}
      socket.on("upgrade", (res) => {
        headers = res.headers
      })
      socket.on("message", (data, isBinary) => {
        const buffer = Buffer.isBuffer(data)
          ? data
          : Array.isArray(data)
            ? Buffer.concat(data)
            : Buffer.from(data as ArrayBuffer)
        received.push({ data: buffer, isBinary, text: buffer.toString("utf8") })
        notify()
      })
      socket.on("close", (code, reason) => {
        closeInfo = { code, reason: reason.toString("utf8") }
        notify()
      })
      let settled = false
      socket.on("unexpected-response", (req, res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => {
          settled = true
          req.destroy()
          resume(
            Effect.fail(new ConnectError({ url, status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }))
          )
        })
      })
      socket.on("error", (cause) => {
        if (!settled) {
          settled = true
          resume(Effect.fail(new ConnectError({ url, cause })))
        }
      })
      const waitUntil = <A, E>(ready: () => A | undefined, failure: () => E | undefined): Effect.Effect<A, E> =>
        Effect.async<A, E>((resumeWait) => {
          const check = () => {
            const value = ready()
            if (value !== undefined) {
              waiters.delete(check)
              resumeWait(Effect.succeed(value))
              return
            }
            const error = failure()
            if (error !== undefined) {
              waiters.delete(check)
              resumeWait(Effect.fail(error))
            }
          }
          waiters.add(check)
          check()
          return Effect.sync(() => waiters.delete(check))
        })
      socket.once("open", () => {
        settled = true
        const header = headers[connectionIdHeader]
        resume(
          Effect.succeed({
            socket,
            connectionId: typeof header === "string" ? header : "",
            headers,
            messages: Effect.sync(() => [...received]),
            waitFor: (n) =>
              waitUntil(
                () => (received.length >= n ? [...received] : undefined),
                () =>
                  closeInfo !== undefined
                    ? new ClosedError({ expected: n, received: received.length, close: closeInfo })
                    : undefined
              ),
            send: (data, sendOptions) =>
              Effect.async<void>((resumeSend) => {
                socket.send(
                  data,
                  { binary: sendOptions?.binary ?? typeof data !== "string", fin: sendOptions?.fin ?? true },
                  () => resumeSend(Effect.void)
                )
              }),
            ping: Effect.sync(() => socket.ping()),
            close: (code, reason) => Effect.sync(() => socket.close(code, reason)),
            closed: waitUntil<CloseInfo, never>(
              () => closeInfo,
              () => undefined
            ),
            closeInfo: Effect.sync(() => closeInfo)
          })
        )
      })
      return Effect.sync(() => socket.terminate())
    }),
    (client) => Effect.sync(() => client.socket.terminate())
  )

/** A raw node:http answer. */
export interface RawResponse {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
  readonly text: string
}

/**
 * A raw node:http request (no SDK, no signing), for checking exactly what a server answers. The path is sent as
 * given, unnormalised.
 */
export const request = (
  baseUrl: string,
  options: {
    readonly method: string
    readonly path: string
    readonly body?: string | Uint8Array | undefined
    readonly headers?: Record<string, string> | undefined
  }
): Effect.Effect<RawResponse, Error> =>
  Effect.async<RawResponse, Error>((resume) => {
    const url = new URL(baseUrl)
    const req = Http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.path,
        headers: options.headers ?? {},
        agent: false
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => {
          const body = Buffer.concat(chunks)
          resume(
            Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") })
          )
        })
        res.on("error", (error) => resume(Effect.fail(error)))
      }
    )
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end(options.body)
    return Effect.sync(() => req.destroy())
  })
