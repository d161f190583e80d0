import type { IncomingMessage, ServerResponse } from "node:http"
import * as Option from "effect/Option"
import { invalidReason } from "../connectionId.js"
import * as Ids from "./ids.js"

/** @internal API Gateway's limit on a PostToConnection body. */
export const maxPayloadBytes = 131072

/** @internal How much of an oversize body is read (and discarded) before the socket is destroyed instead. */
export const maxDiscardBytes = 16 * 1024 * 1024

/** @internal Where a request path leads. */
export type Route =
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "WrongStage"; readonly stage: string }
  | { readonly _tag: "Connection"; readonly rawId: string; readonly id: string | undefined; readonly invalid?: string }

/** @internal The path of a raw request target, without its query string or fragment. */
export const pathOf = (rawUrl: string): string => {
  const end = rawUrl.search(/[?#]/)
  return end === -1 ? rawUrl : rawUrl.slice(0, end)
}

const managementPath = /^(?:\/([^/]*))?\/(?:@|%40)connections(?:\/(.*))?$/

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/**
 * @internal
 * Routes `/{stage}/@connections/{id}` and `/@connections/{id}` (`@` also as `%40`). The id is exactly one
 * percent-encoded segment: no segment or more than one is not a route (404); an id that does not decode, or that
 * the library itself would refuse to send (empty, over 128 characters, not printable ASCII, containing `/`, a dot
 * segment), is malformed (400). Nothing can address anything outside `@connections/{one segment}`.
 */
export const route = (rawUrl: string, stage: string): Route => {
  const match = managementPath.exec(pathOf(rawUrl))
  if (match === null) return { _tag: "NotFound" }
  const [, stageSegment, rest] = match
  if (rest === undefined || rest.length === 0 || rest.includes("/")) return { _tag: "NotFound" }
  if (stageSegment !== undefined && decode(stageSegment) !== stage) return { _tag: "WrongStage", stage: stageSegment }
  const id = decode(rest)
  if (id === undefined)
    return { _tag: "Connection", rawId: rest, id: undefined, invalid: "not a valid percent-encoding" }
  const invalid = invalidReason(id)
  return Option.isSome(invalid)
    ? { _tag: "Connection", rawId: rest, id, invalid: invalid.value }
    : { _tag: "Connection", rawId: rest, id }
}

/** @internal The outcome of reading a request body, at most {@link maxPayloadBytes} of it kept in memory. */
export type Body =
  | { readonly _tag: "Body"; readonly bytes: Buffer }
  | { readonly _tag: "TooLarge"; readonly size: number }
  | { readonly _tag: "Aborted" }

/**
 * @internal
 * Reads a request body, keeping at most `limit` bytes. A larger body is read to its end and discarded (so that the
 * client can read the 413 on a healthy socket), up to {@link maxDiscardBytes}, past which the socket is destroyed.
 */
export const readBody = (req: IncomingMessage, limit: number = maxPayloadBytes): Promise<Body> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (body: Body) => {
      if (done) return
      done = true
      req.off("data", onData)
      resolve(body)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > limit + maxDiscardBytes) {
        req.socket.destroy()
        finish({ _tag: "Aborted" })
      }
    }
    req.on("data", onData)
    req.once("end", () =>
      finish(size > limit ? { _tag: "TooLarge", size } : { _tag: "Body", bytes: Buffer.concat(chunks, size) })
    )
    req.once("error", () => finish({ _tag: "Aborted" }))
    req.once("close", () => {
      if (!req.complete) finish({ _tag: "Aborted" })
    })
  })

/** @internal Writes an AWS-style error: `x-amzn-ErrorType`, `x-amzn-RequestId`, JSON `{"message": ...}`. */
export const sendError = (
  res: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  extraHeaders: Record<string, string> = {}
): void => {
  const body = JSON.stringify({ message })
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "x-amzn-RequestId": Ids.requestId(),
    "x-amzn-ErrorType": errorType,
    ...extraHeaders
  })
  res.end(body)
}

/** @internal AWS's 410: the name only in `x-amzn-ErrorType`, an empty body, `Content-Length: 0`. */
export const sendGone = (res: ServerResponse): void => {
  res.writeHead(410, {
    "Content-Type": "application/json",
    "Content-Length": 0,
    "x-amzn-RequestId": Ids.requestId(),
    "x-amzn-ErrorType": "GoneException"
  })
  res.end()
}

/** @internal A success: 200 with a JSON body (or none), 204 without. */
export const sendOk = (res: ServerResponse, status: 200 | 204, json?: unknown): void => {
  const body = json === undefined ? "" : JSON.stringify(json)
  res.writeHead(status, {
    ...(status === 204 ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }),
    "x-amzn-RequestId": Ids.requestId()
  })
  res.end(body)
}
