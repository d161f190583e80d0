/**
 * @internal
 * A small SigV4 signer on node:crypto for the Management API (`execute-api`), synchronous, with the signing key
 * cached per (secret, day, region). The canonical request is built by `sigv4Canonical.ts`, shared with the
 * WebCrypto signer. The caller hands it node:crypto (`make`): `Streamer` reaches this module on every runtime, the
 * portable path's included, so nothing here imports a `node:` module or touches `Buffer` until a transport is built.
 */
import type * as NodeCrypto from "node:crypto"
import * as Redacted from "effect/Redacted"
import * as Canonical from "./sigv4Canonical.js"
import type { Credentials } from "./transport.js"

/**
 * HMAC-SHA256 (RFC 2104) over two one-shot hashes with the key's pads computed once: creating a node:crypto `Hmac`
 * object costs more than the hashing itself.
 */
export interface Pads {
  /** The key XOR ipad (64 bytes). */
  readonly inner: Buffer
  /** The key XOR opad, followed by room for the inner digest (96 bytes). */
  readonly outer: Buffer
}

interface KeyEntry extends Canonical.KeyScope {
  readonly key: Buffer
  readonly pads: Pads | undefined
}

/** @internal */
export interface Signer {
  /**
   * Signs a request and writes the signature's headers (`x-amz-date`, `authorization`, `x-amz-security-token` with a
   * session token, `x-amz-content-sha256` when asked for) into `into`, which it returns. The request must also send
   * `host` (and `content-type` when given) exactly as passed here.
   */
  readonly sign: <H extends Canonical.SignedHeaders = Canonical.SignedHeaders>(
    request: Canonical.Request,
    credentials: Credentials,
    region: string,
    now?: number,
    into?: H,
    service?: string
  ) => H
  /** The derived signing key and credential scope for a secret, a day and a region. */
  readonly signingKey: (
    secret: Redacted.Redacted<string>,
    shortDate: string,
    region: string,
    service?: string
  ) => KeyEntry
  /** The pads of a key of at most 64 bytes (a signing key has 32). */
  readonly makePads: (key: Buffer) => Pads
  /** HMAC-SHA256 in hex: over the pads when given, else a node:crypto `Hmac`. */
  readonly hmacHex: (key: Buffer, pads: Pads | undefined, data: string) => string
}

/** @internal The signer over the given node:crypto. */
export const make = (Crypto: typeof NodeCrypto): Signer => {
  // `crypto.hash` (one-shot, Node >= 20.12) skips the Hash object; older Node 20 lines fall back to `createHash`.
  const oneShot = typeof Crypto.hash === "function"

  const sha256Hex: (data: string | Uint8Array) => string = oneShot
    ? (data) => Crypto.hash("sha256", data, "hex")
    : (data) => Crypto.createHash("sha256").update(data).digest("hex")

  const hmac = (key: string | Buffer, data: string): Buffer => Crypto.createHmac("sha256", key).update(data).digest()

  const makePads = (key: Buffer): Pads => {
    const inner = Buffer.alloc(64, 0x36)
    const outer = Buffer.alloc(96, 0x5c)
    for (let i = 0; i < key.length; i++) {
      inner[i] ^= key[i]!
      outer[i] ^= key[i]!
    }
    return { inner, outer }
  }

  // Reused: signing runs synchronously, so nothing interleaves.
  let scratch = Buffer.allocUnsafe(1024)

  const hmacHex = (key: Buffer, pads: Pads | undefined, data: string): string => {
    if (pads === undefined) return Crypto.createHmac("sha256", key).update(data).digest("hex")
    const needed = 64 + data.length * 3
    if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed * 2)
    pads.inner.copy(scratch, 0, 0, 64)
    const written = scratch.write(data, 64, "utf8")
    Crypto.hash("sha256", scratch.subarray(0, 64 + written), "buffer").copy(pads.outer, 64)
    return Crypto.hash("sha256", pads.outer, "hex")
  }

  const keys = Canonical.keyCache((secret, scope): KeyEntry => {
    const key = hmac(
      hmac(hmac(hmac(`AWS4${Redacted.value(secret)}`, scope.shortDate), scope.region), scope.service),
      "aws4_request"
    )
    return { ...scope, key, pads: oneShot ? makePads(key) : undefined }
  })

  const signingKey = (
    secret: Redacted.Redacted<string>,
    shortDate: string,
    region: string,
    service: string = Canonical.service
  ): KeyEntry => keys.get(secret, shortDate, region, service)

  let lastSecond = -1
  let lastAmzDate = ""
  let lastShortDate = ""

  const sign = <H extends Canonical.SignedHeaders = Canonical.SignedHeaders>(
    request: Canonical.Request,
    credentials: Credentials,
    region: string,
    now: number = Date.now(),
    into: H = {} as H,
    service: string = Canonical.service
  ): H => {
    const second = Math.floor(now / 1000)
    if (second !== lastSecond) {
      lastAmzDate = Canonical.longDate(now)
      lastShortDate = lastAmzDate.slice(0, 8)
      lastSecond = second
    }
    const amzDate = lastAmzDate
    const { key, pads, scope } = signingKey(credentials.secretAccessKey, lastShortDate, region, service)
    const body = request.body
    const payloadHash = body !== undefined && body.byteLength > 0 ? sha256Hex(body) : Canonical.emptySha256
    const draft = Canonical.draft(request, credentials, amzDate, scope, payloadHash)
    const signature = hmacHex(key, pads, Canonical.stringToSign(amzDate, scope, sha256Hex(draft.canonical)))
    return Canonical.writeHeaders(into, draft, signature)
  }

  return { sign, signingKey, makePads, hmacHex }
}
