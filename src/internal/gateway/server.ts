import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import { WebSocketServer, type RawData, type WebSocket } from "ws"
import { ConnectionInfo } from "../../ConnectionInfo.js"
import type {
  FaultKind,
  Handler,
  HandlerResult,
  RecordedRequest,
  RequestIdentity,
  Stats,
  WebSocketEvent
} from "../../LocalGateway.js"
import * as Events from "./events.js"
import * as Faults from "./faults.js"
import * as Frames from "./frames.js"
import * as HttpUtil from "./http.js"
import * as Ids from "./ids.js"
import type * as SigV4 from "./sigv4.js"

/** @internal API Gateway's frame size: a larger frame from a client closes the socket with 1009. */
export const maxFrameBytes = 32768

/** @internal API Gateway's message size (as a post's): a larger message from a client closes with 1009. */
export const maxMessageBytes = HttpUtil.maxPayloadBytes

/** @internal The handshake response header that tells a client its connection id (a local extra, not AWS's). */
export const connectionIdHeader = "x-effect-streamer-connection-id"

/** @internal How many recorded requests are kept (the oldest are dropped beyond). */
export const maxRecordedRequests = 100_000

/** @internal */
export type LogLevel = "Debug" | "Info" | "Warning" | "Error"

/** @internal Everything the server needs, checked. */
export interface Config {
  readonly host: string
  readonly port: number
  readonly stage: string
  readonly region: string
  readonly handler: Handler | undefined
  readonly routes: ReadonlySet<string> | undefined
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined
  /** Milliseconds; `undefined` for none. */
  readonly idleTimeoutMs: number | undefined
  readonly maxDurationMs: number | undefined
  readonly faults: Faults.Resolved
  readonly log: (level: LogLevel, message: string, cause?: unknown) => void
}

/** @internal A running gateway. */
export interface Gateway {
  readonly port: number
  readonly domainName: string
  readonly connections: () => ReadonlyArray<ConnectionInfo>
  readonly requests: () => ReadonlyArray<RecordedRequest>
  readonly stats: () => Stats
  readonly resetStats: () => void
  readonly setFaults: (faults: Faults.Resolved) => void
  readonly disconnect: (connectionId: string, code: number, reason: string) => boolean
  readonly close: () => Promise<void>
}

interface Connection {
  readonly id: string
  readonly ws: WebSocket
  readonly facts: Events.ConnectionFacts
  lastActiveAt: number
  idleTimer: NodeJS.Timeout | undefined
  maxTimer: NodeJS.Timeout | undefined
  forceTimer: NodeJS.Timeout | undefined
  /** Set once the gateway decided to close (or saw the close begin): the code `$disconnect` reports. */
  closing: { readonly code: number; readonly reason: string } | undefined
}

type Outcome =
  | { readonly _tag: "Success"; readonly value: HandlerResult | string | void | undefined }
  | { readonly _tag: "Failure"; readonly cause: unknown }

interface MutableRecord {
  method: string
  path: string
  connectionId: string | undefined
  status: number | undefined
  fault: FaultKind | undefined
  delivered: boolean
  bodyBytes: number
  time: Date
}

type Counters = { -readonly [K in Exclude<keyof Stats, "inFlight" | "byStatus">]: number } & {
  byStatus: Record<number, number>
}

const emptyStats = (): Counters => ({
  total: 0,
  peakInFlight: 0,
  byStatus: {},
  delivered: 0,
  throttled: 0,
  serverErrors: 0,
  dropped: 0,
  droppedAfterDelivery: 0,
  hung: 0,
  connectionsOpened: 0,
  connectionsClosed: 0
})

const utf8 = new TextDecoder("utf-8", { fatal: true })
const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    utf8.decode(bytes)
    return true
  } catch {
    return false
  }
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)

const sourceIpOf = (address: string | undefined): string =>
  address === undefined ? "127.0.0.1" : address.startsWith("::ffff:") ? address.slice(7) : address

/** The host of URLs and of `domainName`: a wildcard bind is reached on loopback, IPv6 literals in brackets. */
const publicHost = (host: string): string =>
  host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host

const closeReasons: Record<number, string> = {
  1000: "Connection Closed Normally",
  1001: "Going away",
  1005: "Client-side close frame status not set",
  1006: "Connection was closed abnormally"
}

const wsErrorCodes: Record<string, readonly [number, string]> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: [1009, "Message too big"],
  WS_ERR_INVALID_UTF8: [1007, "Invalid UTF-8 in a text frame"]
}

const isThenable = (u: unknown): u is PromiseLike<HandlerResult | string | void | undefined> =>
  typeof u === "object" && u !== null && typeof (u as { readonly then?: unknown }).then === "function"

const sleep = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      resolve()
    }, ms)
    timers.add(timer)
  })

const rejectHandshake = (socket: Duplex, status: number, body: string, errorType?: string): void => {
  const head = [
    `HTTP/1.1 ${status} ${Http.STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-amzn-RequestId: ${Ids.requestId()}`,
    ...(errorType !== undefined ? [`x-amzn-ErrorType: ${errorType}`] : [])
  ]
  if (socket.writable) socket.end(`${head.join("\r\n")}\r\n\r\n${body}`, () => socket.destroy())
  else socket.destroy()
}

const listen = (server: Http.Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      resolve()
    })
  })

/** @internal Starts the gateway: one node:http server for the WebSocket upgrade and the Management API. */
export const start = async (config: Config): Promise<Gateway> => {
  const { log, stage } = config
  // The verifier (and @smithy/signature-v4) is loaded only when signatures are checked.
  const sigv4: typeof SigV4 | undefined = config.credentials !== undefined ? await import("./sigv4.js") : undefined
  const live = new Map<string, Connection>()
  const open = new Set<Connection>()
  const handshakes = new Set<Duplex>()
  const upgradeIds = new WeakMap<Http.IncomingMessage, string>()
  const sleeps = new Set<NodeJS.Timeout>()
  const invocations = new Set<Promise<unknown>>()
  let recorded: Array<MutableRecord> = []
  let counters = emptyStats()
  let inFlight = 0
  let faults = config.faults
  let random = Faults.mulberry32(faults.seed ?? Math.floor(Math.random() * 2 ** 32))
  let shuttingDown = false
  let allClosed: (() => void) | undefined
  const gatewayFacts: Events.GatewayFacts = { stage, domainName: "", apiId: "local", port: 0 }

  const count = (status: number) => {
    counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1
  }

  // ---- Lambda-style handler --------------------------------------------------------------------------------------

  const invoke = (event: WebSocketEvent): Promise<Outcome> => {
    const handler = config.handler!
    const started = Date.now()
    const { routeKey, connectionId } = event.requestContext
    const promise = new Promise<HandlerResult | string | void | undefined>((resolve, reject) => {
      let done = false
      const settle = (error: unknown, result?: HandlerResult | string | void) => {
        if (done) return
        done = true
        if (error !== undefined && error !== null) reject(error)
        else resolve(result)
      }
      const returned = handler(event, Events.context(config.region, started), settle)
      if (isThenable(returned))
        returned.then(
          (value) => settle(undefined, value),
          (error) => settle(error ?? "rejected")
        )
      else if (handler.length < 3) settle(undefined, returned)
    })
      .then(
        (value): Outcome => ({ _tag: "Success", value }),
        (cause): Outcome => ({ _tag: "Failure", cause })
      )
      .then((outcome) => {
        const ms = Date.now() - started
        if (outcome._tag === "Failure")
          log("Warning", `route ${routeKey} ${connectionId} failed (${ms} ms)`, outcome.cause)
        else log("Debug", `route ${routeKey} ${connectionId} -> ${Events.statusOf(outcome.value)} (${ms} ms)`)
        return outcome
      })
    invocations.add(promise)
    void promise.finally(() => invocations.delete(promise))
    return promise
  }

  // ---- WebSocket connections -------------------------------------------------------------------------------------

  const clearTimers = (conn: Connection) => {
    clearTimeout(conn.idleTimer)
    clearTimeout(conn.maxTimer)
    conn.idleTimer = conn.maxTimer = undefined
  }

  const closeConnection = (conn: Connection, code: number, reason: string) => {
    if (conn.closing !== undefined) return
    conn.closing = { code, reason }
    live.delete(conn.id)
    clearTimers(conn)
    try {
      conn.ws.close(code, reason)
    } catch {
      conn.ws.terminate()
    }
    conn.forceTimer = setTimeout(() => conn.ws.terminate(), 2000)
  }

  const touch = (conn: Connection) => {
    conn.lastActiveAt = Date.now()
    conn.idleTimer?.refresh()
  }

  const onClosed = (conn: Connection, code: number, reasonBytes: Buffer) => {
    clearTimers(conn)
    clearTimeout(conn.forceTimer)
    live.delete(conn.id)
    open.delete(conn)
    counters.connectionsClosed++
    const reason = reasonBytes.toString("utf8")
    const final = conn.closing ?? { code, reason: reason || (closeReasons[code] ?? "") }
    log("Debug", `disconnect ${conn.id} ${final.code}${final.reason ? ` (${final.reason})` : ""}`)
    if (config.handler !== undefined) {
      void invoke(Events.disconnect(gatewayFacts, conn.facts, final.code, final.reason, Date.now()))
    }
    if (open.size === 0) allClosed?.()
  }

  const onMessage = (conn: Connection, data: RawData, isBinary: boolean) => {
    if (conn.closing !== undefined) return
    touch(conn)
    if (isBinary) return closeConnection(conn, 1003, "Binary frames are not supported")
    const body = toBuffer(data).toString("utf8")
    const routeKey = Events.selectRoute(body, config.routes)
    if (config.handler === undefined) return
    const event = Events.message(gatewayFacts, conn.facts, routeKey, body, Date.now())
    void invoke(event).then((outcome) => {
      if (conn.closing !== undefined) return
      if (outcome._tag === "Failure") {
        const { connectionId, requestId } = event.requestContext
        conn.ws.send(JSON.stringify({ message: "Internal server error", connectionId, requestId }))
        return
      }
      const reply = Events.bodyOf(outcome.value)
      if (reply !== undefined) conn.ws.send(reply)
    })
  }

  const register = (ws: WebSocket, facts: Events.ConnectionFacts, socket: Duplex) => {
    const conn: Connection = {
      id: facts.connectionId,
      ws,
      facts,
      lastActiveAt: facts.connectedAt,
      idleTimer: undefined,
      maxTimer: undefined,
      forceTimer: undefined,
      closing: undefined
    }
    live.set(conn.id, conn)
    open.add(conn)
    counters.connectionsOpened++
    if (config.idleTimeoutMs !== undefined) {
      conn.idleTimer = setTimeout(() => closeConnection(conn, 1001, "Going away"), config.idleTimeoutMs)
    }
    if (config.maxDurationMs !== undefined) {
      conn.maxTimer = setTimeout(() => closeConnection(conn, 1001, "Going away"), config.maxDurationMs)
    }
    // Ahead of ws's own listener, so that the frame is refused before ws delivers it (messages are ignored once closing).
    socket.prependListener(
      "data",
      Frames.frameGuard(maxFrameBytes, () => closeConnection(conn, 1009, "Message too big"))
    )
    ws.on("message", (data, isBinary) => onMessage(conn, data, isBinary))
    ws.on("ping", () => {
      if (conn.closing === undefined) touch(conn)
    })
    ws.on("error", (error: Error & { code?: string }) => {
      const [code, reason] = wsErrorCodes[error.code ?? ""] ?? [1002, "Protocol error"]
      log("Debug", `connection ${conn.id}: ${error.message}`)
      closeConnection(conn, code, reason)
    })
    ws.on("close", (code, reason) => onClosed(conn, code, reason))
    log("Debug", `connect ${conn.id} from ${facts.identity.sourceIp}`)
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    clientTracking: false,
    perMessageDeflate: false
  })
  wss.on("headers", (headers, req) => {
    const id = upgradeIds.get(req)
    if (id !== undefined) headers.push(`${connectionIdHeader}: ${id}`)
  })

  const onUpgrade = (req: Http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {})
    if (shuttingDown) return void socket.destroy()
    const path = HttpUtil.pathOf(req.url ?? "/")
    if (path !== `/${stage}` && path !== `/${stage}/`) {
      return rejectHandshake(socket, 403, JSON.stringify({ message: "Forbidden" }), "ForbiddenException")
    }
    const key = req.headers["sec-websocket-key"]
    const version = req.headers["sec-websocket-version"]
    if (
      req.method !== "GET" ||
      (req.headers.upgrade ?? "").toLowerCase() !== "websocket" ||
      key === undefined ||
      !/^[+/0-9A-Za-z]{22}==$/.test(key.trim()) ||
      (version !== "8" && version !== "13")
    ) {
      return rejectHandshake(socket, 400, JSON.stringify({ message: "Bad Request" }), "BadRequestException")
    }
    handshakes.add(socket)
    socket.once("close", () => handshakes.delete(socket))
    const userAgent = req.headers["user-agent"]
    const identity: RequestIdentity = {
      sourceIp: sourceIpOf(req.socket.remoteAddress),
      ...(userAgent !== undefined ? { userAgent } : {})
    }
    const facts: Events.ConnectionFacts = { connectionId: Ids.apiGatewayId(), connectedAt: Date.now(), identity }
    void (async () => {
      if (config.handler !== undefined) {
        const outcome = await invoke(Events.connect(gatewayFacts, facts, req, Date.now()))
        if (outcome._tag === "Failure") {
          log("Debug", `connect ${facts.connectionId} rejected: the $connect handler failed`)
          return rejectHandshake(socket, 500, JSON.stringify({ message: "Internal server error" }))
        }
        const status = Events.statusOf(outcome.value)
        if (status < 200 || status > 299) {
          log("Debug", `connect ${facts.connectionId} rejected: $connect answered ${status}`)
          const body = Events.bodyOf(outcome.value) ?? ""
          return rejectHandshake(socket, status >= 100 && status <= 599 ? status : 500, body)
        }
      }
      if (shuttingDown || socket.destroyed) {
        // The client left while $connect ran: API Gateway still reports the disconnect (not once shut down).
        if (config.handler !== undefined && !shuttingDown) {
          void invoke(Events.disconnect(gatewayFacts, facts, 1006, closeReasons[1006]!, Date.now()))
        }
        return void socket.destroy()
      }
      upgradeIds.set(req, facts.connectionId)
      wss.handleUpgrade(req, socket, head, (ws) => {
        handshakes.delete(socket)
        register(ws, facts, socket)
      })
    })()
  }

  // ---- Management API -------------------------------------------------------------------------------------------

  const record = (req: Http.IncomingMessage): MutableRecord => {
    const entry: MutableRecord = {
      method: req.method ?? "",
      path: req.url ?? "",
      connectionId: undefined,
      status: undefined,
      fault: undefined,
      delivered: false,
      bodyBytes: 0,
      time: new Date()
    }
    recorded.push(entry)
    if (recorded.length > maxRecordedRequests * 1.1) recorded = recorded.slice(-maxRecordedRequests)
    return entry
  }

  const manage = async (req: Http.IncomingMessage, res: Http.ServerResponse, entry: MutableRecord, draw: number) => {
    const answer = (status: number, send: () => void) => {
      entry.status = status
      count(status)
      send()
    }
    const route = HttpUtil.route(req.url ?? "/", stage)
    if (route._tag === "Connection") entry.connectionId = route.id
    const snapshot = faults
    const body = await HttpUtil.readBody(req)
    if (body._tag === "Aborted") return
    entry.bodyBytes = body._tag === "Body" ? body.bytes.length : body.size
    if (route._tag === "NotFound") {
      return answer(404, () => HttpUtil.sendError(res, 404, "NotFoundException", "Not Found"))
    }
    if (body._tag === "TooLarge") {
      return answer(413, () =>
        HttpUtil.sendError(
          res,
          413,
          "PayloadTooLargeException",
          `Request payload of ${body.size} bytes exceeds the maximum of ${HttpUtil.maxPayloadBytes} bytes`
        )
      )
    }
    if (config.credentials !== undefined && sigv4 !== undefined) {
      const failure = await sigv4.verify(
        { method: req.method ?? "", rawUrl: req.url ?? "/", headers: req.headers, body: body.bytes, now: Date.now() },
        { ...config.credentials, region: config.region, service: "execute-api" }
      )
      if (failure !== undefined) {
        return answer(403, () => HttpUtil.sendError(res, 403, failure.errorType, failure.message))
      }
    }
    if (route._tag === "WrongStage") {
      return answer(403, () => HttpUtil.sendError(res, 403, "ForbiddenException", "Forbidden"))
    }
    if (snapshot.latencyMs > 0) await sleep(snapshot.latencyMs, sleeps)
    if (res.destroyed) return
    const decision = Faults.decide(snapshot, draw)
    switch (decision._tag) {
      case "Throttle":
        entry.fault = "throttle"
        counters.throttled++
        return answer(429, () =>
          HttpUtil.sendError(res, 429, "LimitExceededException", "Too Many Requests", {
            "Retry-After": String(snapshot.retryAfterSeconds)
          })
        )
      case "ServerError": {
        entry.fault = "serverError"
        counters.serverErrors++
        const [type, message] =
          decision.status === 500
            ? ["InternalServerErrorException", "Internal server error"]
            : decision.status === 502
              ? ["BadGatewayException", "Bad Gateway"]
              : ["ServiceUnavailableException", "Service Unavailable"]
        return answer(decision.status, () => HttpUtil.sendError(res, decision.status, type, message))
      }
      case "Hang":
        entry.fault = "hang"
        counters.hung++
        return
      case "Drop":
        entry.fault = "drop"
        counters.dropped++
        if (!decision.afterDelivery) return void req.socket.destroy()
    }
    const dropAfter = decision._tag === "Drop"
    const method = req.method ?? ""
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      if (dropAfter) return void req.socket.destroy()
      return answer(405, () =>
        HttpUtil.sendError(res, 405, "MethodNotAllowedException", `Method ${method} is not allowed`, {
          Allow: "GET, POST, DELETE"
        })
      )
    }
    if (route.id === undefined || route.invalid !== undefined) {
      if (dropAfter) return void req.socket.destroy()
      return answer(400, () =>
        HttpUtil.sendError(res, 400, "BadRequestException", `Invalid connectionId: ${route.id ?? route.rawId}`)
      )
    }
    const conn = live.get(route.id)
    if (conn === undefined) {
      if (dropAfter) return void req.socket.destroy()
      return answer(410, () => HttpUtil.sendGone(res))
    }
    switch (method) {
      case "POST": {
        const bytes = body.bytes
        conn.ws.send(bytes, { binary: !isUtf8(bytes) })
        entry.delivered = true
        counters.delivered++
        if (dropAfter) {
          counters.droppedAfterDelivery++
          return void req.socket.destroy()
        }
        return answer(200, () => HttpUtil.sendOk(res, 200))
      }
      case "GET": {
        if (dropAfter) return void req.socket.destroy()
        const { identity } = conn.facts
        return answer(200, () =>
          HttpUtil.sendOk(res, 200, {
            connectedAt: new Date(conn.facts.connectedAt).toISOString(),
            identity: {
              sourceIp: identity.sourceIp,
              ...(identity.userAgent !== undefined ? { userAgent: identity.userAgent } : {})
            },
            lastActiveAt: new Date(conn.lastActiveAt).toISOString()
          })
        )
      }
      default: {
        closeConnection(conn, 1000, "")
        if (dropAfter) return void req.socket.destroy()
        return answer(204, () => HttpUtil.sendOk(res, 204))
      }
    }
  }

  const onRequest = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
    const entry = record(req)
    const draw = random()
    counters.total++
    inFlight++
    counters.peakInFlight = Math.max(counters.peakInFlight, inFlight)
    let settled = false
    res.once("close", () => {
      if (!settled) {
        settled = true
        inFlight--
      }
    })
    manage(req, res, entry, draw).catch((cause) => {
      log("Error", `management request ${req.method} ${req.url} failed`, cause)
      if (!res.headersSent) HttpUtil.sendError(res, 500, "InternalServerErrorException", "Internal server error")
      else res.destroy()
    })
  }

  const server = Http.createServer(onRequest)
  server.on("upgrade", onUpgrade)
  await listen(server, config.port, config.host)
  const port = (server.address() as AddressInfo).port
  const domainName = `${publicHost(config.host)}:${port}`
  Object.assign(gatewayFacts, { domainName, port })

  const close = async (): Promise<void> => {
    if (shuttingDown) return
    shuttingDown = true
    for (const socket of handshakes) socket.destroy()
    const everyoneClosed = new Promise<void>((resolve) => {
      allClosed = resolve
      if (open.size === 0) resolve()
    })
    for (const conn of open) closeConnection(conn, 1001, "Going away")
    let bound: NodeJS.Timeout | undefined
    await Promise.race([everyoneClosed, new Promise<void>((resolve) => (bound = setTimeout(resolve, 1000)))])
    clearTimeout(bound)
    for (const conn of open) conn.ws.terminate()
    for (const timer of sleeps) clearTimeout(timer)
    sleeps.clear()
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    wss.close()
    await Promise.race([
      Promise.all([serverClosed, Promise.allSettled([...invocations])]),
      new Promise<void>((resolve) => (bound = setTimeout(resolve, 1000)))
    ])
    clearTimeout(bound)
  }

  return {
    port,
    domainName,
    connections: () =>
      [...live.values()].map(
        (conn) =>
          new ConnectionInfo({
            connectionId: conn.id,
            connectedAt: new Date(conn.facts.connectedAt),
            lastActiveAt: new Date(conn.lastActiveAt),
            sourceIp: conn.facts.identity.sourceIp,
            userAgent: conn.facts.identity.userAgent
          })
      ),
    requests: () => recorded.map((entry) => Object.freeze({ ...entry, time: new Date(entry.time) })),
    stats: () => ({ ...counters, byStatus: { ...counters.byStatus }, inFlight }),
    resetStats: () => {
      recorded = []
      counters = emptyStats()
      counters.peakInFlight = inFlight
    },
    setFaults: (next) => {
      faults = next
      if (next.seed !== undefined) random = Faults.mulberry32(next.seed)
    },
    disconnect: (connectionId, code, reason) => {
      const conn = live.get(connectionId)
      if (conn === undefined) return false
      closeConnection(conn, code, reason)
      return true
    },
    close
  }
}
