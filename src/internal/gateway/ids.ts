import { randomBytes, randomUUID } from "node:crypto"

/**
 * @internal
 * An id in API Gateway's format: 11 random bytes as padded, URL-safe base64, 16 characters (`ZDb-VclrIAMCJ3w=`).
 * API Gateway uses the same format for connection ids and for the request ids of WebSocket events.
 */
export const apiGatewayId = (): string => randomBytes(11).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")

/** @internal The `x-amzn-RequestId` of a Management API answer (a UUID, as AWS sends). */
export const requestId = (): string => randomUUID()

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const pad = (n: number) => String(n).padStart(2, "0")

/** @internal The `requestTime` of a WebSocket event: `04/Dec/2026:10:00:00 +0000`. */
export const requestTime = (epochMs: number): string => {
  const d = new Date(epochMs)
  return (
    `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  )
}
