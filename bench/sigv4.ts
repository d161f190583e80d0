/**
 * A minimal SigV4 signer on node:crypto for `execute-api`, with no Effect: the "signed ceiling" of the throughput
 * benchmark. The signing key is derived once per day (and region). `sigv4Check.ts` verifies it against
 * `@smithy/signature-v4` before every bench run.
 */
import * as Crypto from "node:crypto"

export interface SignerOptions {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string | undefined
  readonly region: string
  readonly service?: string | undefined
}

/** The headers to send besides the body's: `host`, `x-amz-date`, `authorization` (and the session token). */
export interface SignedHeaders {
  host: string
  "x-amz-date": string
  authorization: string
  "x-amz-security-token"?: string
}

export type Sign = (
  method: string,
  host: string,
  path: string,
  body: Uint8Array | undefined,
  now?: number
) => SignedHeaders

const sha256Hex = (data: string | Uint8Array): string => Crypto.createHash("sha256").update(data).digest("hex")
const hmac = (key: string | Buffer, data: string): Buffer => Crypto.createHmac("sha256", key).update(data).digest()

/** RFC 3986 encoding of one path segment (`encodeURIComponent` leaves `!'()*` alone). */
const encodeSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

const emptyHash = sha256Hex("")

export const makeSigner = (options: SignerOptions): Sign => {
  const service = options.service ?? "execute-api"
  let day = ""
  let scope = ""
  let key: Buffer = Buffer.alloc(0)
  const signedHeaders = options.sessionToken ? "host;x-amz-date;x-amz-security-token" : "host;x-amz-date"

  return (method, host, path, body, now = Date.now()) => {
    const amzDate = new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, "")
    const today = amzDate.slice(0, 8)
    if (today !== day) {
      day = today
      scope = `${day}/${options.region}/${service}/aws4_request`
      key = hmac(hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, day), options.region), service), "aws4_request")
    }
    // Services other than S3 sign the path encoded once more (`%3D` -> `%253D`).
    const canonicalPath = path.split("/").map(encodeSegment).join("/")
    const canonicalHeaders =
      `host:${host}\nx-amz-date:${amzDate}\n` +
      (options.sessionToken ? `x-amz-security-token:${options.sessionToken}\n` : "")
    const canonicalRequest = [
      method,
      canonicalPath,
      "",
      canonicalHeaders,
      signedHeaders,
      body && body.byteLength > 0 ? sha256Hex(body) : emptyHash
    ].join("\n")
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`
    const signature = Crypto.createHmac("sha256", key).update(stringToSign).digest("hex")
    const headers: SignedHeaders = {
      host,
      "x-amz-date": amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${options.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
    }
    if (options.sessionToken) headers["x-amz-security-token"] = options.sessionToken
    return headers
  }
}
