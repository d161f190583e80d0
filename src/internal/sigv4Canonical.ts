/**
 * @internal
 * The platform-neutral half of SigV4 (string building only, no crypto, no `node:` imports), shared by the
 * node:crypto signer (`sigv4.ts`) and the WebCrypto one (`sigv4Web.ts`). Byte-for-byte what `@smithy/signature-v4`
 * produces for the same request: the tests check it.
 */

import * as Redacted from "effect/Redacted"
import type { Credentials } from "./transport.js"

/** @internal The signing name of the Management API. */
export const service = "execute-api"

/** @internal */
export const algorithm = "AWS4-HMAC-SHA256"

/** @internal SHA-256 of nothing, in hex: the payload hash of a request without a body. */
export const emptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** @internal What a signer needs to know about one request. */
export interface Request {
  readonly method: string
  /** The `Host` header as sent: `host` or `host:port` (no port when it is the scheme's default). */
  readonly host: string
  /** The path as sent on the wire, already percent-encoded (`/stage/@connections/abc%3D`); no query. */
  readonly path: string
  /** Signed when present (the SDK signs `application/octet-stream` on a post). */
  readonly contentType?: string | undefined
  readonly body?: Uint8Array | undefined
  /** Also send (and sign) `x-amz-content-sha256`, as the SDK does. API Gateway does not need it. Default false. */
  readonly contentSha256Header?: boolean | undefined
}

/** @internal The headers a signature adds; the caller sends them with the request's own. */
export interface SignedHeaders {
  "x-amz-date"?: string
  "x-amz-security-token"?: string
  "x-amz-content-sha256"?: string
  authorization?: string
  [name: string]: string | number | undefined
}

const hexEncode = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`

/** @internal RFC 3986 escaping as SigV4 wants it (smithy's `escapeUri`). */
export const escapeUri = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, hexEncode)

/**
 * @internal
 * The canonical URI of a non-S3 request: the path with empty and dot segments normalised away, then every segment
 * percent-encoded once more (`/stage/@connections/abc%3D` becomes `/stage/%40connections/abc%253D`).
 */
export const canonicalUri = (input: string): string => {
  // As smithy's HttpRequest does: a path always starts with "/".
  const path = input.charCodeAt(0) === 47 ? input : `/${input}`
  let normalized = path
  if (path.includes("//") || path.includes("/.")) {
    const segments: Array<string> = []
    for (const segment of path.split("/")) {
      if (segment.length === 0 || segment === ".") continue
      if (segment === "..") segments.pop()
      else segments.push(segment)
    }
    normalized = `/${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`
  }
  // The usual path (unreserved characters, `/`, `%XX` escapes and the `@` of `@connections`) needs only `%` and `@`
  // escaped again; anything else takes the general route.
  if (plainPath.test(normalized)) return normalized.replace(/[%@]/g, escapePlain)
  return escapeUri(normalized).replace(/%2F/g, "/")
}

const plainPath = /^[A-Za-z0-9\-._~/%@]*$/
const escapePlain = (c: string) => (c === "%" ? "%25" : "%40")

/** @internal `YYYYMMDD'T'HHMMSS'Z'` of a time in milliseconds. */
export const longDate = (millis: number): string => {
  const iso = new Date(millis).toISOString()
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
}

/** @internal `{YYYYMMDD}/{region}/{service}/aws4_request`. */
export const credentialScope = (shortDate: string, region: string, signingService: string = service): string =>
  `${shortDate}/${region}/${signingService}/aws4_request`

const needsTrim = /[\t\r\n]|^ | $|  /

/** A header value as SigV4 canonicalises it: newlines to spaces, runs of blanks collapsed, trimmed. */
const canonicalValue = (value: string): string =>
  needsTrim.test(value)
    ? value
        .replace(/[\r\n]/g, " ")
        .replace(/[ \t]+/g, " ")
        .replace(/^ | $/g, "")
    : value

/** @internal The names of the headers a request of this shape signs, `;`-separated and sorted. */
export const signedHeaderNames = (request: Request, hasToken: boolean): string =>
  `${request.contentType !== undefined ? "content-type;" : ""}host${
    request.contentSha256Header ? ";x-amz-content-sha256" : ""
  };x-amz-date${hasToken ? ";x-amz-security-token" : ""}`

/**
 * @internal
 * The canonical request. The headers signed are a fixed, already sorted set (`content-type`, `host`,
 * `x-amz-content-sha256`, `x-amz-date`, `x-amz-security-token`), so nothing is sorted per request.
 */
export const canonicalRequest = (
  request: Request,
  amzDate: string,
  sessionToken: string | undefined,
  signedHeaders: string,
  payloadHash: string
): string => {
  let headers = request.contentType !== undefined ? `content-type:${canonicalValue(request.contentType)}\n` : ""
  headers += `host:${canonicalValue(request.host)}\n`
  if (request.contentSha256Header) headers += `x-amz-content-sha256:${payloadHash}\n`
  headers += `x-amz-date:${amzDate}\n`
  if (sessionToken !== undefined) headers += `x-amz-security-token:${canonicalValue(sessionToken)}\n`
  return `${request.method}\n${canonicalUri(request.path)}\n\n${headers}\n${signedHeaders}\n${payloadHash}`
}

/** @internal The string to sign, from the hex SHA-256 of the canonical request. */
export const stringToSign = (amzDate: string, scope: string, canonicalRequestHash: string): string =>
  `${algorithm}\n${amzDate}\n${scope}\n${canonicalRequestHash}`

/** @internal The `Authorization` header. */
export const authorization = (accessKeyId: string, scope: string, signedHeaders: string, signature: string): string =>
  `${algorithm} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`

/**
 * @internal
 * Everything a signature needs but the two hashes: the canonical request to hash, and what the headers will carry.
 * Both signers build it here, then hash and sign with their own crypto.
 */
export interface Draft {
  readonly request: Request
  readonly accessKeyId: string
  /** The session token, when there is a non-empty one. */
  readonly sessionToken: string | undefined
  readonly amzDate: string
  readonly scope: string
  readonly signedHeaders: string
  readonly payloadHash: string
  readonly canonical: string
}

/** @internal The draft of a signature for `request`, signed at `amzDate` for `scope`. */
export const draft = (
  request: Request,
  credentials: Credentials,
  amzDate: string,
  scope: string,
  payloadHash: string
): Draft => {
  const token = credentials.sessionToken !== undefined ? Redacted.value(credentials.sessionToken) : undefined
  const sessionToken = token !== undefined && token.length > 0 ? token : undefined
  const signedHeaders = signedHeaderNames(request, sessionToken !== undefined)
  return {
    request,
    accessKeyId: credentials.accessKeyId,
    sessionToken,
    amzDate,
    scope,
    signedHeaders,
    payloadHash,
    canonical: canonicalRequest(request, amzDate, sessionToken, signedHeaders, payloadHash)
  }
}

/**
 * @internal
 * Writes the signature's headers into `into` (`x-amz-date`, `authorization`, and `x-amz-security-token` /
 * `x-amz-content-sha256` when they apply) and returns it.
 */
export const writeHeaders = <H extends SignedHeaders>(into: H, draft: Draft, signature: string): H => {
  into["x-amz-date"] = draft.amzDate
  if (draft.sessionToken !== undefined) into["x-amz-security-token"] = draft.sessionToken
  if (draft.request.contentSha256Header) into["x-amz-content-sha256"] = draft.payloadHash
  into.authorization = authorization(draft.accessKeyId, draft.scope, draft.signedHeaders, signature)
  return into
}

/** @internal What every cached signing key is for. */
export interface KeyScope {
  readonly shortDate: string
  readonly region: string
  readonly service: string
  /** The credential scope, `{date}/{region}/{service}/aws4_request`. */
  readonly scope: string
}

/**
 * @internal
 * A cache of derived signing keys, at most 4 per secret (a day, a region and a service each). Keyed by the secret's
 * `Redacted` box: no secret in a key, and the entries go when the credentials do.
 */
export const keyCache = <E extends KeyScope>(derive: (secret: Redacted.Redacted<string>, scope: KeyScope) => E) => {
  const keys = new WeakMap<Redacted.Redacted<string>, Array<E>>()
  return {
    get: (secret: Redacted.Redacted<string>, shortDate: string, region: string, signingService: string): E => {
      let entries = keys.get(secret)
      if (entries === undefined) {
        entries = []
        keys.set(secret, entries)
      }
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!
        if (entry.shortDate === shortDate && entry.region === region && entry.service === signingService) return entry
      }
      const scope = credentialScope(shortDate, region, signingService)
      const entry = derive(secret, { shortDate, region, service: signingService, scope })
      if (entries.length >= 4) entries.shift()
      entries.push(entry)
      return entry
    },
    /** Drops an entry (a derivation that failed), so that the next request derives it again. */
    forget: (secret: Redacted.Redacted<string>, entry: E): void => {
      const entries = keys.get(secret)
      const index = entries?.indexOf(entry) ?? -1
      if (index >= 0) entries!.splice(index, 1)
    }
  }
}
