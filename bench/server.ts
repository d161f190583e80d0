/**
 * The minimal loopback Management API: node:http with keep-alive on 127.0.0.1, checking nothing, and the same over
 * https on a second port (`lib/env.ts`'s test certificate; the cold starts use it). POST answers 200
 * with an empty body, DELETE 204, GET a small JSON body; any id starting with `gone` answers 410 with
 * `x-amzn-ErrorType: GoneException` and an empty body, as API Gateway does. It counts requests, answers by status,
 * connections opened and the peak number open at once (with keep-alive, the client's concurrency), and reports them
 * over IPC. Runs in its own process, started by `lib/loopback.ts`.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"

export interface ServerStats {
  requests: number
  byStatus: Record<string, number>
  /** TCP connections accepted since the last reset. */
  connections: number
  /** The most connections open at once since the last reset. */
  connectionsPeak: number
  bodyBytes: number
}

export type ServerCommand = { readonly id: number; readonly type: "stats" | "reset" }
export type ServerMessage =
  | { readonly type: "ready"; readonly port: number; readonly tlsPort: number }
  | { readonly type: "stats"; readonly id: number; readonly stats: ServerStats }

let open = 0
const fresh = (): ServerStats => ({ requests: 0, byStatus: {}, connections: 0, connectionsPeak: open, bodyBytes: 0 })
let stats = fresh()

const goneHeaders = {
  "content-type": "application/json",
  "content-length": "0",
  "x-amzn-errortype": "GoneException",
  "x-amzn-requestid": "bench"
}
const okHeaders = { "content-type": "application/json", "content-length": "0", "x-amzn-requestid": "bench" }
const info = JSON.stringify({
  connectedAt: "2024-01-01T00:00:00.000Z",
  lastActiveAt: "2024-01-01T00:00:00.000Z",
  identity: { sourceIp: "127.0.0.1", userAgent: "bench" }
})

const answer = (req: Http.IncomingMessage, res: Http.ServerResponse): void => {
  const url = req.url ?? "/"
  const id = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1))
  let status: number
  if (id.startsWith("gone")) {
    status = 410
    res.writeHead(status, goneHeaders).end()
  } else if (req.method === "DELETE") {
    status = 204
    res.writeHead(status, { "x-amzn-requestid": "bench" }).end()
  } else if (req.method === "GET") {
    status = 200
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(info) }).end(info)
  } else {
    status = 200
    res.writeHead(status, okHeaders).end()
  }
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1
}

const handle = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
  stats.requests++
  req.on("data", (chunk: Buffer) => {
    stats.bodyBytes += chunk.byteLength
  })
  req.on("end", () => answer(req, res))
}
const server = Http.createServer(handle)
// The paths come from lib/loopback.ts (this file runs bundled, away from the repository's layout).
const tlsFile = (name: string): Buffer => {
  const path = process.env[name]
  if (!path) throw new Error(`${name} is not set: start the server through bench/lib/loopback.ts`)
  return Fs.readFileSync(path)
}
const tlsServer = Https.createServer({ key: tlsFile("BENCH_TLS_KEY"), cert: tlsFile("BENCH_TLS_CERT") }, handle)
for (const s of [server, tlsServer]) {
  s.on("connection", (socket) => {
    stats.connections++
    if (++open > stats.connectionsPeak) stats.connectionsPeak = open
    socket.on("close", () => open--)
  })
  // Longer than any client's idle socket, so a client never writes to a socket the server is closing.
  s.keepAliveTimeout = 120_000
  s.headersTimeout = 121_000
  s.requestTimeout = 0
}

const send = (message: ServerMessage) => process.send?.(message)

process.on("message", (command: ServerCommand) => {
  if (command.type === "reset") stats = fresh()
  send({ type: "stats", id: command.id, stats })
})
process.on("disconnect", () => process.exit(0))

const listen = (s: Http.Server): Promise<number> =>
  new Promise((resolve) =>
    s.listen(0, "127.0.0.1", () => {
      const address = s.address()
      if (address === null || typeof address === "string") throw new Error("no port")
      resolve(address.port)
    })
  )
void Promise.all([listen(server), listen(tlsServer)]).then(([port, tlsPort]) => {
  if (process.send) send({ type: "ready", port, tlsPort })
  else console.log(`listening on http://127.0.0.1:${port}/local and https://127.0.0.1:${tlsPort}/local`)
})
