/**
 * @internal
 * The SigV4 signer on WebCrypto (`crypto.subtle`), for the portable path (Deno, Bun, Cloudflare Workers, browsers):
 * the same algorithm and output as `sigv4.ts`, asynchronous, with no `node:` import. The signing key is cached per
 * (secret, day, region) as a non-extractable `CryptoKey`.
 */
import * as Redacted from "effect/Redacted"
import * as Canonical from "./sigv4Canonical.js"
import type { Credentials } from "./transport.js"

const encoder = new TextEncoder()
const hmacAlgorithm = { name: "HMAC", hash: "SHA-256" } as const

const hexTable: Array<string> = []
for (let i = 0; i < 256; i++) hexTable.push(i.toString(16).padStart(2, "0"))

const toHex = (buffer: ArrayBuffer): string => {
  const bytes = new Uint8Array(buffer)
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += hexTable[bytes[i]!]
  return out
}

const subtle = (): SubtleCrypto => {
  const crypto = globalThis.crypto
  if (crypto === undefined || crypto.subtle === undefined) {
    throw new Error("WebCrypto (crypto.subtle) is not available to sign requests")
  }
  return crypto.subtle
}

const sha256Hex = async (data: Uint8Array): Promise<string> =>
  toHex(await subtle().digest("SHA-256", data as Uint8Array<ArrayBuffer>))

const importKey = (raw: Uint8Array<ArrayBuffer> | ArrayBuffer): Promise<CryptoKey> =>
  subtle().importKey("raw", raw, hmacAlgorithm, false, ["sign"])

const hmac = async (key: CryptoKey, data: string): Promise<ArrayBuffer> =>
  subtle().sign("HMAC", key, encoder.encode(data))

interface KeyEntry extends Canonical.KeyScope {
  readonly key: Promise<CryptoKey>
}

const deriveKey = async (
  secret: Redacted.Redacted<string>,
  { region, service, shortDate }: Canonical.KeyScope
): Promise<CryptoKey> => {
  let key = await importKey(encoder.encode(`AWS4${Redacted.value(secret)}`))
  for (const part of [shortDate, region, service, "aws4_request"]) key = await importKey(await hmac(key, part))
  return key
}

const keys = Canonical.keyCache((secret, scope): KeyEntry => {
  const entry: KeyEntry = { ...scope, key: deriveKey(secret, scope) }
  // A failed derivation is not kept: the next request tries again.
  entry.key.catch(() => keys.forget(secret, entry))
  return entry
})

/** @internal The signing key (a `CryptoKey`) and credential scope for a secret, a day and a region. */
export const signingKey = (
  secret: Redacted.Redacted<string>,
  shortDate: string,
  region: string,
  service: string = Canonical.service
): KeyEntry => keys.get(secret, shortDate, region, service)

/**
 * @internal
 * Signs a request like `sigv4.sign`, asynchronously, and writes the signature's headers into `into`, which it
 * resolves to.
 */
export const sign = async <H extends Canonical.SignedHeaders = Canonical.SignedHeaders>(
  request: Canonical.Request,
  credentials: Credentials,
  region: string,
  now: number = Date.now(),
  into: H = {} as H,
  service: string = Canonical.service
): Promise<H> => {
  const amzDate = Canonical.longDate(now)
  const { key, scope } = signingKey(credentials.secretAccessKey, amzDate.slice(0, 8), region, service)
  const body = request.body
  const payloadHash = body !== undefined && body.byteLength > 0 ? await sha256Hex(body) : Canonical.emptySha256
  const draft = Canonical.draft(request, credentials, amzDate, scope, payloadHash)
  const stringToSign = Canonical.stringToSign(amzDate, scope, await sha256Hex(encoder.encode(draft.canonical)))
  return Canonical.writeHeaders(into, draft, toHex(await hmac(await key, stringToSign)))
}
