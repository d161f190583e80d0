import { randomBytes, randomUUID } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type {
  HandlerResult,
  LambdaContext,
  RequestIdentity,
  WebSocketEvent,
  WebSocketRequestContext
} from "../../LocalGateway.js"
import * as Ids from "./ids.js"

/** @internal What the events of one connection share. */
export interface ConnectionFacts {
  readonly connectionId: string
  readonly connectedAt: number
  readonly identity: RequestIdentity
}

/** @internal What the events of one gateway share. */
export interface GatewayFacts {
  readonly stage: string
  readonly domainName: string
  readonly apiId: string
  readonly port: number
}

const requestContext = (
  gateway: GatewayFacts,
  connection: ConnectionFacts,
  routeKey: string,
  eventType: WebSocketRequestContext["eventType"],
  now: number,
  extra: Partial<Pick<WebSocketRequestContext, "messageId" | "disconnectStatusCode" | "disconnectReason">>
): WebSocketRequestContext => {
  const requestId = Ids.apiGatewayId()
  return {
    routeKey,
    ...(extra.messageId !== undefined ? { messageId: extra.messageId } : {}),
    ...(extra.disconnectStatusCode !== undefined ? { disconnectStatusCode: extra.disconnectStatusCode } : {}),
    eventType,
    extendedRequestId: requestId,
    requestTime: Ids.requestTime(now),
    messageDirection: "IN",
    ...(extra.disconnectReason !== undefined ? { disconnectReason: extra.disconnectReason } : {}),
    stage: gateway.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: { ...connection.identity },
    requestId,
    domainName: gateway.domainName,
    connectionId: connection.connectionId,
    apiId: gateway.apiId
  }
}

/** @internal The `$connect` event: the handshake's headers (as sent, plus `X-Forwarded-*`) and query string. */
export const connect = (
  gateway: GatewayFacts,
  connection: ConnectionFacts,
  req: IncomingMessage,
  now: number
): WebSocketEvent => {
  const headers: Record<string, string> = {}
  const multiValueHeaders: Record<string, Array<string>> = {}
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!
    const value = req.rawHeaders[i + 1]!
    headers[name] = value
    ;(multiValueHeaders[name] ??= []).push(value)
  }
  const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()))
  const forwarded: Array<[string, string]> = [
    ["X-Forwarded-For", connection.identity.sourceIp],
    ["X-Forwarded-Port", String(gateway.port)],
    ["X-Forwarded-Proto", "http"]
  ]
  for (const [name, value] of forwarded) {
    if (!lower.has(name.toLowerCase())) {
      headers[name] = value
      multiValueHeaders[name] = [value]
    }
  }
  const url = req.url ?? "/"
  const q = url.indexOf("?")
  const query: Record<string, string> = {}
  const multiQuery: Record<string, Array<string>> = {}
  let hasQuery = false
  if (q !== -1) {
    for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
      hasQuery = true
      query[key] = value
      ;(multiQuery[key] ??= []).push(value)
    }
  }
  return {
    headers,
    multiValueHeaders,
    ...(hasQuery ? { queryStringParameters: query, multiValueQueryStringParameters: multiQuery } : {}),
    requestContext: requestContext(gateway, connection, "$connect", "CONNECT", now, {}),
    isBase64Encoded: false
  }
}

/** @internal A message event for the route chosen by {@link selectRoute}. */
export const message = (
  gateway: GatewayFacts,
  connection: ConnectionFacts,
  routeKey: string,
  body: string,
  now: number
): WebSocketEvent => ({
  requestContext: requestContext(gateway, connection, routeKey, "MESSAGE", now, { messageId: Ids.apiGatewayId() }),
  body,
  isBase64Encoded: false
})

/** @internal The `$disconnect` event, with the close code and reason. */
export const disconnect = (
  gateway: GatewayFacts,
  connection: ConnectionFacts,
  code: number,
  reason: string,
  now: number
): WebSocketEvent => {
  const headers = { Host: gateway.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" }
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: requestContext(gateway, connection, "$disconnect", "DISCONNECT", now, {
      disconnectStatusCode: code,
      disconnectReason: reason
    }),
    isBase64Encoded: false
  }
}

/**
 * @internal
 * Route selection with the expression `$request.body.action`: a JSON object body with a non-empty string `action`
 * selects that route (when `routes` is given, only if listed there); anything else, and actions starting with `$`
 * (reserved keys), select `$default`.
 */
export const selectRoute = (body: string, routes: ReadonlySet<string> | undefined): string => {
  let action: unknown
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      action = (parsed as { readonly action?: unknown }).action
    }
  } catch {
    return "$default"
  }
  if (typeof action !== "string" || action.length === 0 || action.startsWith("$")) return "$default"
  if (routes !== undefined && !routes.has(action)) return "$default"
  return action
}

const functionName = "effect-streamer-local"

/** @internal A Lambda context for one invocation; `getRemainingTimeInMillis` counts down from API Gateway's 29 s. */
export const context = (region: string, now: number): LambdaContext => {
  const deadline = now + 29_000
  const d = new Date(now)
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {}
  }
}

/** @internal The status a handler's result stands for: 200 when it returned nothing, a string, or no status. */
export const statusOf = (result: HandlerResult | string | void | undefined): number =>
  typeof result === "object" && result !== null && typeof result.statusCode === "number" ? result.statusCode : 200

/** @internal The body a handler's result carries back to the client, if any. */
export const bodyOf = (result: HandlerResult | string | void | undefined): string | undefined =>
  typeof result === "string"
    ? result
    : typeof result === "object" && result !== null && typeof result.body === "string"
      ? result.body
      : undefined
