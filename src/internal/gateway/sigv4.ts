import { SignatureV4 } from "@smithy/signature-v4"
import { createHash, createHmac, timingSafeEqual, type BinaryLike, type Hash, type Hmac } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"

type SourceData = string | ArrayBuffer | ArrayBufferView

const toBinary = (data: SourceData): BinaryLike =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)

/** @internal SHA-256 and HMAC-SHA-256 on node:crypto, in the shape `@smithy/signature-v4` expects. */
export class Sha256 {
  private readonly secret: SourceData | undefined
  private hash: Hash | Hmac
  constructor(secret?: SourceData) {
    this.secret = secret
    this.hash = this.create()
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBinary(this.secret))
  }
  update(data: SourceData): void {
    this.hash.update(toBinary(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()))
  }
  reset(): void {
    this.hash = this.create()
  }
}

/** @internal The credentials the gateway accepts (secrets already unwrapped, never logged). */
export interface Expected {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly region: string
  readonly service: string
}

/** @internal A request as received, with its body read. */
export interface Received {
  readonly method: string
  /** `req.url`, exactly as received. */
  readonly rawUrl: string
  readonly headers: IncomingHttpHeaders
  readonly body: Uint8Array
  /** Server time, for the clock-skew check. */
  readonly now: number
}

/** @internal Why a request is refused: the `x-amzn-ErrorType` and the message AWS sends. */
export interface Failure {
  readonly errorType:
    | "MissingAuthenticationTokenException"
    | "IncompleteSignatureException"
    | "UnrecognizedClientException"
    | "InvalidSignatureException"
  readonly message: string
}

const maxSkewMs = 5 * 60 * 1000
const emptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const mismatch: Failure = {
  errorType: "InvalidSignatureException",
  message:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access " +
    "Key and signing method. Consult the service documentation for details."
}

const incomplete = (message: string): Failure => ({ errorType: "IncompleteSignatureException", message })

/** @internal The parts of an `AWS4-HMAC-SHA256` Authorization header. */
export interface Authorization {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly terminator: string
  readonly signedHeaders: ReadonlyArray<string>
  readonly signature: string
}

/** @internal Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export const parseAuthorization = (header: string): Authorization | Failure => {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim())
  if (match === null) return incomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm.")
  const params = new Map<string, string>()
  for (const part of match[1]!.split(",")) {
    const eq = part.indexOf("=")
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const credential = params.get("Credential")
  const signedHeaders = params.get("SignedHeaders")
  const signature = params.get("Signature")
  const missing = [
    credential === undefined ? "'Credential'" : undefined,
    signedHeaders === undefined ? "'SignedHeaders'" : undefined,
    signature === undefined ? "'Signature'" : undefined
  ].filter((m) => m !== undefined)
  if (missing.length > 0) {
    return incomplete(missing.map((m) => `Authorization header requires ${m} parameter.`).join(" "))
  }
  const scope = credential!.split("/")
  if (scope.length !== 5 || scope.some((s) => s.length === 0)) {
    return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
  }
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string]
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: signedHeaders!.split(";").map((h) => h.trim().toLowerCase()),
    signature: signature!.toLowerCase()
  }
}

const isFailure = (u: Authorization | Failure): u is Failure => "errorType" in u

const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name]
  return Array.isArray(value) ? value.join(",") : value
}

const parseAmzDate = (value: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (m === null) return undefined
  const time = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
  return Number.isNaN(time) ? undefined : time
}

const parseQuery = (raw: string): Record<string, string | Array<string>> => {
  const query: Record<string, string | Array<string>> = {}
  for (const [key, value] of new URLSearchParams(raw)) {
    const existing = query[key]
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return query
}

const sameHex = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, "latin1"), Buffer.from(b, "latin1"))

/**
 * @internal
 * Verifies a request's SigV4 signature the way API Gateway does: the access key must be the expected one, the
 * credential scope must name the expected region and service, the time must be within 5 minutes, and the
 * signature recomputed with `@smithy/signature-v4` (the AWS SDK's signer: path segments double-encoded) from the
 * raw path, the method, the signed headers and the body must match. `x-amz-security-token` is accepted (and must be
 * signed when sent, as the SDK does). Returns the failure, or `undefined` when the request is authentic.
 */
export const verify = async (request: Received, expected: Expected): Promise<Failure | undefined> => {
  const header = headerValue(request.headers, "authorization")
  if (header === undefined || header.trim().length === 0) {
    return { errorType: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }
  }
  const auth = parseAuthorization(header)
  if (isFailure(auth)) return auth
  if (auth.accessKeyId !== expected.accessKeyId) {
    return {
      errorType: "UnrecognizedClientException",
      message: "The security token included in the request is invalid."
    }
  }
  if (auth.region !== expected.region) {
    return { errorType: "InvalidSignatureException", message: "Credential should be scoped to a valid region" }
  }
  if (auth.service !== expected.service) {
    return {
      errorType: "InvalidSignatureException",
      message: `Credential should be scoped to correct service: '${expected.service}'.`
    }
  }
  if (auth.terminator !== "aws4_request") {
    return {
      errorType: "InvalidSignatureException",
      message: "Credential should be scoped with a valid terminator: 'aws4_request'."
    }
  }
  const amzDate = headerValue(request.headers, "x-amz-date")
  if (amzDate === undefined) {
    return incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
  }
  const signingTime = parseAmzDate(amzDate)
  if (signingTime === undefined) return incomplete(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`)
  if (auth.date !== amzDate.slice(0, 8)) {
    return {
      errorType: "InvalidSignatureException",
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`
    }
  }
  if (Math.abs(request.now - signingTime) > maxSkewMs) {
    return {
      errorType: "InvalidSignatureException",
      message: `Signature expired: ${amzDate} is now earlier or later than the server time by more than 5 minutes.`
    }
  }
  if (!auth.signedHeaders.includes("host")) {
    return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
  }
  if (request.headers["x-amz-security-token"] !== undefined && !auth.signedHeaders.includes("x-amz-security-token")) {
    return mismatch
  }
  const headers: Record<string, string> = {}
  for (const name of auth.signedHeaders) {
    const value = headerValue(request.headers, name)
    if (value === undefined) return mismatch
    headers[name] = value
  }
  const contentSha256 = headers["x-amz-content-sha256"]
  if (contentSha256 !== undefined) {
    const actual = request.body.length === 0 ? emptySha256 : createHash("sha256").update(request.body).digest("hex")
    if (contentSha256 !== actual) return mismatch
  }
  const q = request.rawUrl.indexOf("?")
  const path = q === -1 ? request.rawUrl : request.rawUrl.slice(0, q)
  const query = q === -1 ? {} : parseQuery(request.rawUrl.slice(q + 1))
  const signer = new SignatureV4({
    service: expected.service,
    region: expected.region,
    credentials: { accessKeyId: expected.accessKeyId, secretAccessKey: expected.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false
  })
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: headers["host"] ?? "localhost",
      path,
      query,
      headers,
      body: request.body.length === 0 ? undefined : request.body
    },
    {
      signingDate: new Date(signingTime),
      signingRegion: expected.region,
      signingService: expected.service,
      signableHeaders: new Set(auth.signedHeaders)
    }
  )
  const computed = parseAuthorization(String(signed.headers["authorization"] ?? ""))
  if (isFailure(computed)) return mismatch
  if (computed.signedHeaders.join(";") !== [...auth.signedHeaders].sort().join(";")) return mismatch
  return sameHex(computed.signature, auth.signature) ? undefined : mismatch
}
