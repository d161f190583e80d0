/**
 * A real node:http server on 127.0.0.1 that records what it receives and answers as each test says, and a check
 * that a received request is signed the way a strict server (one re-signing it with @smithy/signature-v4) accepts.
 *
 * ```ts
 * const server = yield* testServer(reply(200))
 * yield* transport.post("abc=", new Uint8Array([1]))
 * assert.isTrue(yield* Effect.promise(() => verify(server.hits[0]!, credentials)))
 * ```
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { SignatureV4 } from "@smithy/signature-v4"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Sha256 } from "../../src/internal/gateway/sigv4.js"
import type { Config, Credentials, Transport } from "../../src/internal/transport.js"
import type { StreamerError } from "../../src/StreamerError.js"

/** One request as the server received it, body read. */
export interface Hit {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

/** How the server answers a request. */
export type Respond = (hit: Hit, req: Http.IncomingMessage, res: Http.ServerResponse) => void

export interface TestServer {
  /** `http://127.0.0.1:{port}/local`. */
  readonly endpoint: string
  readonly port: number
  readonly hits: Array<Hit>
  /** `connections`: sockets ever accepted; `open`: sockets open now. */
  readonly stats: { connections: number; open: number }
}

/** Starts the server; closing the scope closes it and every connection to it. */
export const testServer = (respond: Respond): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<TestServer & { readonly server: Http.Server }>((resume) => {
      const hits: Array<Hit> = []
      const stats = { connections: 0, open: 0 }
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const hit: Hit = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) }
          hits.push(hit)
          respond(hit, req, res)
        })
      })
      server.on("connection", (socket) => {
        stats.connections++
        stats.open++
        socket.on("close", () => stats.open--)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as { port: number }).port
        resume(Effect.succeed({ server, port, endpoint: `http://127.0.0.1:${port}/local`, hits, stats }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** Answers with this status, these headers and this body. */
export const reply =
  (status: number, headers: Record<string, string> = {}, body: string | Buffer = ""): Respond =>
  (_hit, _req, res) => {
    res.writeHead(status, { "content-length": Buffer.byteLength(body), ...headers })
    res.end(body)
  }

/** Answers with this status and this value as JSON. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Respond =>
  reply(status, { "content-type": "application/json", ...headers }, JSON.stringify(body))

/** A transport's `Config` for `endpoint`: `defaults`, a 5 s timeout and the 128 KiB payload limit, then `overrides`. */
export const configFor =
  (defaults: Pick<Config, "region" | "credentials">) =>
  (endpoint: string, overrides: Partial<Config> = {}): Config => ({
    endpoint,
    ...defaults,
    timeout: Duration.seconds(5),
    maxPayloadBytes: 131072,
    ...overrides
  })

/** Calls `op` on the connection `abc=`; a post (no `op`) sends `data`. */
export const operate = (
  transport: Transport,
  op: "post" | "get" | "delete" | undefined,
  data: Uint8Array
): Effect.Effect<void, StreamerError> =>
  op === "get"
    ? Effect.asVoid(transport.get("abc="))
    : op === "delete"
      ? transport.delete("abc=")
      : transport.post("abc=", data)

/** Verifies a received request's signature the server's way: re-sign what arrived with @smithy/signature-v4. */
export const verify = async (hit: Hit, creds: Credentials): Promise<boolean> => {
  const authorization = String(hit.headers.authorization ?? "")
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
      authorization
    )
  if (match === null || match[1] !== creds.accessKeyId) return false
  const amzDate = String(hit.headers["x-amz-date"])
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`
  )
  const headers: Record<string, string> = {}
  for (const name of match[3]!.split(";")) headers[name] = String(hit.headers[name])
  const signer = new SignatureV4({
    service: "execute-api",
    region: match[2]!,
    sha256: Sha256,
    applyChecksum: false,
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: Redacted.value(creds.secretAccessKey),
      ...(creds.sessionToken ? { sessionToken: Redacted.value(creds.sessionToken) } : {})
    }
  })
  const signed = await signer.sign(
    { method: hit.method, protocol: "http:", hostname: "127.0.0.1", path: hit.url, query: {}, headers, body: hit.body },
    { signingDate: date }
  )
  return signed.headers.authorization === authorization
}

/** A promise and its `resolve`. */
const deferred = <A = void>() => {
  let resolve!: (a: A) => void
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * A server that never answers: `arrived` settles when a request has come in, `closed` when its socket closes, with
 * whether that happened before any answer was sent.
 */
export const silentServer = Effect.gen(function* () {
  const arrived = deferred()
  const closed = deferred<boolean>()
  const server = yield* testServer((_hit, _req, res) => {
    res.on("close", () => closed.resolve(!res.writableEnded))
    arrived.resolve()
  })
  return { server, arrived: arrived.promise, closed: closed.promise }
})

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export const freePort = Effect.async<number>((resume) => {
  const probe = Http.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const free = (probe.address() as { port: number }).port
    probe.close(() => resume(Effect.succeed(free)))
  })
})

const credentialVariables = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN"
]

/** No credentials anywhere: no variables, empty config files, no instance metadata. Restored when the scope closes. */
export const withoutCredentials = Effect.acquireRelease(
  Effect.sync(() => {
    const saved = Object.fromEntries(credentialVariables.map((name) => [name, process.env[name]]))
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-streamer-creds-"))
    const empty = Path.join(dir, "empty")
    Fs.writeFileSync(empty, "")
    for (const name of credentialVariables) delete process.env[name]
    process.env.AWS_EC2_METADATA_DISABLED = "true"
    process.env.AWS_CONFIG_FILE = empty
    process.env.AWS_SHARED_CREDENTIALS_FILE = empty
    return { saved, dir }
  }),
  ({ dir, saved }) =>
    Effect.sync(() => {
      for (const name of credentialVariables) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
      Fs.rmSync(dir, { recursive: true, force: true })
    })
)
