/**
 * Per-signature cost of the SigV4 signers, in one run, as a ratio to the library's node:crypto signer:
 * `src/internal/sigv4.ts` (node:crypto, synchronous), `src/internal/sigv4Web.ts` (WebCrypto, async),
 * `@smithy/signature-v4` (with the SDK's own `Sha256` from `@smithy/core/checksum`, as the AWS SDK v3 configures it)
 * and `aws4` (synchronous; present through `@aws-lite/client`).
 *
 *     npx tsx bench/signer.ts [--rounds 7] [--ms 300]
 *
 * Each case signs one Management API request as the transports do (a fresh `Date.now()` each time, static credentials
 * with a session token, the signing key cached by each signer as it would be in a long-lived process). Reported: the
 * median over rounds of the mean time per signature.
 */
import * as NodeCrypto from "node:crypto"
import { createRequire } from "node:module"
import { Sha256 } from "@smithy/core/checksum"
import { SignatureV4 } from "@smithy/signature-v4"
import * as Redacted from "effect/Redacted"
import * as ConnectionId from "../src/internal/connectionId.js"
import * as NodeSigV4 from "../src/internal/sigv4.js"
import type * as Canonical from "../src/internal/sigv4Canonical.js"
import * as SigV4Web from "../src/internal/sigv4Web.js"

const SigV4 = NodeSigV4.make(NodeCrypto)

interface Aws4 {
  sign(
    request: {
      host: string
      path: string
      method: string
      service: string
      region: string
      headers: Record<string, string | number>
      body?: Buffer | string
    },
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  ): { headers: Record<string, string> }
}
const aws4 = createRequire(import.meta.url)("aws4") as Aws4

const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}
const rounds = arg("rounds", 7)
const roundMs = arg("ms", 300)

const region = "us-west-2"
const host = "abc123.execute-api.us-west-2.amazonaws.com"
const accessKeyId = "ASIAEXAMPLEEXAMPLE12"
const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
const token = "FwoGZXIvYXdzEJr//////////wEaDK1example+session/token+of+a+realistic+length+".repeat(4)
const credentials = { accessKeyId, secretAccessKey: Redacted.make(secret), sessionToken: Redacted.make(token) }
const path = ConnectionId.path("/production", "L0SM9cOFvHcCIhw=")

const smithy = new SignatureV4({
  service: "execute-api",
  region,
  sha256: Sha256,
  credentials: { accessKeyId, secretAccessKey: secret, sessionToken: token }
})

interface Case {
  readonly name: string
  readonly body: Uint8Array | undefined
}
const cases: Array<Case> = [
  { name: "GET (no body)", body: undefined },
  { name: "POST 64 B", body: new Uint8Array(64).fill(7) },
  { name: "POST 4 KB", body: new Uint8Array(4096).fill(7) },
  { name: "POST 128 KB", body: new Uint8Array(131072).fill(7) }
]

type Signer = (body: Uint8Array | undefined) => unknown

const signers = (c: Case): Array<{ readonly name: string; readonly sign: Signer }> => {
  const method = c.body === undefined ? "GET" : "POST"
  const request: Canonical.Request =
    c.body === undefined
      ? { method, host, path }
      : { method, host, path, body: c.body, contentType: "application/octet-stream" }
  const buffer = c.body === undefined ? undefined : Buffer.from(c.body.buffer, c.body.byteOffset, c.body.byteLength)
  return [
    { name: "sigv4 (node:crypto)", sign: () => SigV4.sign(request, credentials, region) },
    { name: "sigv4Web (WebCrypto)", sign: () => SigV4Web.sign(request, credentials, region) },
    {
      name: "@smithy/signature-v4",
      sign: () =>
        smithy.sign({
          method,
          protocol: "https:",
          hostname: host,
          path,
          query: {},
          headers:
            c.body === undefined
              ? { host }
              : { host, "content-type": "application/octet-stream", "content-length": String(c.body.byteLength) },
          body: c.body
        })
    },
    {
      name: "aws4",
      sign: () =>
        aws4.sign(
          {
            host,
            path,
            method,
            service: "execute-api",
            region,
            headers: c.body === undefined ? {} : { "content-type": "application/octet-stream" },
            ...(buffer !== undefined ? { body: buffer } : {})
          },
          { accessKeyId, secretAccessKey: secret, sessionToken: token }
        )
    }
  ]
}

/** Mean microseconds per signature over `roundMs`, awaiting promises one at a time (as a request would). */
const measure = async (sign: Signer, body: Uint8Array | undefined): Promise<number> => {
  let n = 0
  const start = performance.now()
  const until = start + roundMs
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) {
      const out = sign(body)
      if (out instanceof Promise) await out
    }
    n += 50
  }
  return ((performance.now() - start) * 1000) / n
}

const median = (values: Array<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const main = async () => {
  console.log(`node ${process.version}, ${rounds} rounds of ${roundMs} ms per signer and case\n`)
  for (const c of cases) {
    const list = signers(c)
    for (const s of list) await measure(s.sign, c.body) // warm up
    const samples = list.map(() => [] as Array<number>)
    for (let r = 0; r < rounds; r++) {
      // Interleaved, so that drift in the machine's speed hits every signer alike.
      for (let i = 0; i < list.length; i++) samples[i]!.push(await measure(list[i]!.sign, c.body))
    }
    const medians = samples.map(median)
    const base = medians[0]!
    console.log(c.name)
    for (let i = 0; i < list.length; i++) {
      console.log(
        `  ${list[i]!.name.padEnd(24)} ${medians[i]!.toFixed(2).padStart(9)} us/signature  ${(medians[i]! / base).toFixed(2).padStart(6)}x`
      )
    }
  }
}

main()
