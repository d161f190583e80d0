import * as Crypto from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { SignatureV4 } from "@smithy/signature-v4"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as fc from "fast-check"
import * as ConnectionId from "../src/internal/connectionId.js"
import { Sha256 } from "../src/internal/gateway/sigv4.js"
import * as NodeSigV4 from "../src/internal/sigv4.js"
import * as Canonical from "../src/internal/sigv4Canonical.js"
import * as SigV4Web from "../src/internal/sigv4Web.js"
import type { Credentials } from "../src/internal/transport.js"

const SigV4 = NodeSigV4.make(Crypto)

interface Case {
  readonly request: Canonical.Request
  readonly credentials: Credentials
  readonly region: string
  readonly date: number
}

/** What `@smithy/signature-v4` adds to the same request. */
const smithy = async ({ credentials, date, region, request }: Case): Promise<Record<string, string>> => {
  const signer = new SignatureV4({
    service: "execute-api",
    region,
    sha256: Sha256,
    applyChecksum: request.contentSha256Header === true,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: Redacted.value(credentials.secretAccessKey),
      ...(credentials.sessionToken !== undefined ? { sessionToken: Redacted.value(credentials.sessionToken) } : {})
    }
  })
  const headers: Record<string, string> = { host: request.host }
  if (request.contentType !== undefined) headers["content-type"] = request.contentType
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "https:",
      hostname: request.host.split(":")[0]!,
      path: request.path,
      query: {},
      headers,
      body: request.body
    },
    { signingDate: new Date(date) }
  )
  const out: Record<string, string> = {}
  for (const name of ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]) {
    if (signed.headers[name] !== undefined) out[name] = signed.headers[name]!
  }
  return out
}

const ours = ({ credentials, date, region, request }: Case): Record<string, string> =>
  SigV4.sign(request, credentials, region, date) as Record<string, string>

const oursWeb = async ({ credentials, date, region, request }: Case): Promise<Record<string, string>> =>
  (await SigV4Web.sign(request, credentials, region, date)) as Record<string, string>

const creds = (accessKeyId: string, secret: string, token?: string): Credentials =>
  token === undefined
    ? { accessKeyId, secretAccessKey: Redacted.make(secret) }
    : { accessKeyId, secretAccessKey: Redacted.make(secret), sessionToken: Redacted.make(token) }

const bytes = (length: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const hosts: Record<string, string> = {
  "us-east-1": "abc123.execute-api.us-east-1.amazonaws.com",
  "us-west-2": "k3j4h5.execute-api.us-west-2.amazonaws.com",
  "us-gov-west-1": "abc123.execute-api.us-gov-west-1.amazonaws.com",
  "cn-north-1": "abc123.execute-api.cn-north-1.amazonaws.com.cn",
  "eu-central-1": "127.0.0.1:4010"
}
const ids = [
  "L0SM9cOFvHcCIhw=",
  "ZDb-VclrIAMCJ3w=",
  "a%b%25c",
  "~_.-",
  "!'()*",
  "@:+$,;&",
  "a b",
  "x".repeat(128),
  "caf\u00e9-\u{1f600}"
]
const stages = ["/production", "", "/v1/ws"]
const dates = [
  Date.UTC(2026, 11, 4, 10, 0, 0),
  Date.UTC(2026, 11, 31, 23, 59, 59, 999),
  Date.UTC(2027, 0, 1, 0, 0, 0),
  Date.UTC(2015, 7, 30, 12, 36, 0)
]
const bodies: Array<Uint8Array | undefined> = [
  undefined,
  new Uint8Array(0),
  bytes(256),
  new TextEncoder().encode('h\u00e9llo {"a": 1}\n'),
  bytes(131072, 7)
]
const identities = [
  creds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
  creds("ASIAEXAMPLE", "secret/with+chars=", "FwoGZXIvYXdzEJr//////////wEaDK1+token/with+slash=="),
  creds("AKID2", "other-secret", "")
]

const cases = (): Array<Case> => {
  const out: Array<Case> = []
  const regions = Object.keys(hosts)
  let n = 0
  for (const id of ids) {
    for (const [i, stage] of [...stages, ...stages, ...stages].entries()) {
      for (const method of ["POST", "GET", "DELETE"]) {
        const region = regions[n % regions.length]!
        const body = method === "POST" ? bodies[n % bodies.length] : undefined
        out.push({
          request: {
            method,
            host: hosts[region]!,
            path: ConnectionId.path(stage, id),
            ...(method === "POST" ? { body, contentType: "application/octet-stream" } : {}),
            ...(n % 4 === 3 ? { contentSha256Header: true } : {})
          },
          credentials: identities[(n + i) % identities.length]!,
          region,
          date: dates[n % dates.length]!
        })
        n++
      }
    }
  }
  return out
}

describe("sigv4Canonical", () => {
  it("double-encodes the path as AWS wants for non-S3 services", () => {
    assert.strictEqual(Canonical.canonicalUri("/production/@connections/abc%3D"), "/production/%40connections/abc%253D")
    assert.strictEqual(Canonical.canonicalUri("/@connections/a%20b"), "/%40connections/a%2520b")
    assert.strictEqual(Canonical.canonicalUri("/"), "/")
    assert.strictEqual(Canonical.canonicalUri("/a//b/./c/../d/"), "/a/b/d/")
  })

  it("formats the date", () => {
    assert.strictEqual(Canonical.longDate(Date.UTC(2026, 11, 4, 9, 8, 7, 654)), "20261204T090807Z")
  })

  it.effect("normalises paths like smithy", () =>
    Effect.promise(async () => {
      for (const path of [
        "/a//b/./c/../d/",
        "/../x",
        "/./",
        "//",
        "/a/b/..",
        "a/b",
        "/a/%2F/b",
        "/s/@connections/%2E%2E",
        "",
        "x",
        "/s/@connections/a b!$&'()*+,;=:",
        "/caf\u00e9/%E2%82%AC"
      ]) {
        const c: Case = {
          request: { method: "GET", host: "h", path },
          credentials: identities[0]!,
          region: "us-east-1",
          date: dates[0]!
        }
        assert.deepStrictEqual(ours(c), await smithy(c), path)
      }
    })
  )
})

describe("sigv4 (node:crypto)", () => {
  it.effect("matches @smithy/signature-v4 byte for byte", () =>
    Effect.promise(async () => {
      const all = cases()
      assert.isAbove(all.length, 200)
      for (const c of all) {
        const expected = await smithy(c)
        assert.deepStrictEqual(ours(c), expected, `${c.request.method} ${c.request.path} ${c.region}`)
      }
    })
  )

  it.effect("property: the pad-based HMAC equals node:crypto's Hmac", () =>
    Effect.sync(() =>
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.string({ maxLength: 3000, unit: "binary" }),
          (key, data) => {
            const buffer = Buffer.from(key)
            const expected = Crypto.createHmac("sha256", buffer).update(data).digest("hex")
            assert.strictEqual(SigV4.hmacHex(buffer, SigV4.makePads(buffer), data), expected)
            assert.strictEqual(SigV4.hmacHex(buffer, undefined, data), expected)
          }
        ),
        { numRuns: 500 }
      )
    )
  )

  it("writes into the given headers and returns them", () => {
    const headers: Canonical.SignedHeaders & { host: string } = { host: hosts["us-east-1"]! }
    const c = cases()[0]!
    const out = SigV4.sign(c.request, c.credentials, c.region, c.date, headers)
    assert.strictEqual(out, headers)
    assert.strictEqual(out.host, hosts["us-east-1"])
    assert.match(
      out.authorization!,
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/execute-api\/aws4_request, /
    )
  })

  it("signs only the headers it sends (no x-amz-content-sha256 unless asked)", () => {
    const c = cases()[0]!
    const post = SigV4.sign(
      { method: "POST", host: "h", path: "/s/@connections/a", body: bytes(3), contentType: "application/octet-stream" },
      c.credentials,
      "us-east-1",
      c.date
    )
    assert.include(post.authorization!, "SignedHeaders=content-type;host;x-amz-date, ")
    assert.isUndefined(post["x-amz-content-sha256"])
    const get = SigV4.sign({ method: "GET", host: "h", path: "/s/@connections/a" }, identities[1]!, "us-east-1", c.date)
    assert.include(get.authorization!, "SignedHeaders=host;x-amz-date;x-amz-security-token, ")
  })

  it.effect("keeps the cached signing key right across days, regions and secrets", () =>
    Effect.promise(async () => {
      const one = creds("AKID1", "secret-one")
      const two = creds("AKID2", "secret-two", "token")
      const regions = ["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "ap-south-1", "us-east-1"]
      for (const date of [dates[0]!, dates[1]!, dates[2]!, dates[0]!]) {
        for (const region of regions) {
          for (const credentials of [one, two]) {
            const c: Case = {
              request: { method: "DELETE", host: "h.example", path: "/p/@connections/id%3D" },
              credentials,
              region,
              date
            }
            assert.deepStrictEqual(ours(c), await smithy(c))
          }
        }
      }
    })
  )

  it.effect("property: random ids, bodies, regions, tokens and dates match smithy", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[!-.0-~]{1,128}$/).filter((id) => id !== "." && id !== ".."),
          fc.option(fc.uint8Array({ maxLength: 4096 }), { nil: undefined }),
          fc.constantFrom("us-east-1", "us-gov-west-1", "cn-north-1", "eu-west-3", "ap-southeast-2"),
          fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{1,64}$/), { nil: undefined }),
          fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
          fc.constantFrom("POST", "GET", "DELETE"),
          fc.boolean(),
          async (id, body, region, token, date, method, checksum) => {
            const c: Case = {
              request: {
                method,
                host: `abc.execute-api.${region}.amazonaws.com`,
                path: ConnectionId.path("/stage", id),
                ...(method === "POST" ? { body, contentType: "application/octet-stream" } : {}),
                contentSha256Header: checksum
              },
              credentials: creds("AKIDPROP", "prop-secret", token),
              region,
              date
            }
            const expected = await smithy(c)
            assert.deepStrictEqual(ours(c), expected)
            assert.deepStrictEqual(await oursWeb(c), expected)
          }
        ),
        { numRuns: 300 }
      )
    )
  )
})

describe("sigv4Web (WebCrypto)", () => {
  it.effect("matches the node:crypto signer on every case", () =>
    Effect.promise(async () => {
      for (const c of cases()) {
        assert.deepStrictEqual(await oursWeb(c), ours(c), `${c.request.method} ${c.request.path} ${c.region}`)
      }
    })
  )

  it.effect("derives one key for concurrent first requests and matches smithy", () =>
    Effect.promise(async () => {
      const credentials = creds("AKIDWEB", "web-secret", "web-token")
      const c: Case = {
        request: { method: "GET", host: "h", path: "/s/@connections/x%3D" },
        credentials,
        region: "us-west-2",
        date: dates[1]!
      }
      const [a, b] = await Promise.all([oursWeb(c), oursWeb(c)])
      assert.deepStrictEqual(a, b)
      assert.strictEqual(
        SigV4Web.signingKey(credentials.secretAccessKey, "20261231", "us-west-2"),
        SigV4Web.signingKey(credentials.secretAccessKey, "20261231", "us-west-2")
      )
      assert.deepStrictEqual(a, await smithy(c))
    })
  )
})
