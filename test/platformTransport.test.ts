import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as HttpTransport from "../src/internal/httpTransport.js"
import * as PlatformTransport from "../src/internal/platformTransport.js"
import type { Config, Credentials as Creds, Transport } from "../src/internal/transport.js"
import * as LocalGateway from "../src/LocalGateway.js"
import type { StreamerError } from "../src/StreamerError.js"
import { type Hit, json, reply, type Respond, testServer, verify } from "./helpers/signedServer.js"
import { configFor, freePort, operate, silentServer, withoutCredentials } from "./helpers/signedServer.js"
import { type RecordedSpan, recordingTracer } from "./helpers/tracer.js"
import * as WsClient from "./helpers/wsClient.js"

const credentials: Creds = {
  accessKeyId: "AKIDPLATFORM",
  secretAccessKey: Redacted.make("platform-secret"),
  sessionToken: Redacted.make("platform+session/token==")
}
const tokenText = Redacted.value(credentials.sessionToken!)

const config = configFor({ region: "eu-west-1", credentials })

const platform = (c: Config): Effect.Effect<Transport, never, Scope.Scope> =>
  PlatformTransport.makeWithHttpClient(c).pipe(Effect.provide(FetchHttpClient.layer))

// ---------------------------------------------------------------------------------------------------------------

describe("platformTransport (FetchHttpClient + WebCrypto)", () => {
  it("looks the client up under @effect/platform's own HttpClient tag", () => {
    assert.strictEqual(PlatformTransport.HttpClientTag.key, HttpClient.HttpClient.key)
    const client = HttpClient.make(() => Effect.die("unused"))
    const found = Context.get(Context.make(HttpClient.HttpClient, client), PlatformTransport.HttpClientTag)
    assert.strictEqual(found, client)
  })

  it.scopedLive("posts, reads and deletes, signed so that a strict server accepts it", () =>
    Effect.gen(function* () {
      const server = yield* testServer((hit, req, res) =>
        hit.method === "GET"
          ? json(200, {
              connectedAt: "2026-12-04T10:00:00.000Z",
              identity: { sourceIp: "203.0.113.5", userAgent: "ua" },
              lastActiveAt: "2026-12-04T10:05:00.000Z"
            })(hit, req, res)
          : reply(hit.method === "DELETE" ? 204 : 200)(hit, req, res)
      )
      const transport = yield* platform(config(server.endpoint))
      const data = Crypto.randomBytes(131072)
      yield* transport.post("L0SM9cOFvHcCIhw=", data)
      yield* transport.post("ZDb-VclrIAMCJ3w=", new Uint8Array(0))
      const info = yield* transport.get("L0SM9cOFvHcCIhw=")
      yield* transport.delete("L0SM9cOFvHcCIhw=")
      assert.strictEqual(info.connectedAt?.toISOString(), "2026-12-04T10:00:00.000Z")
      assert.strictEqual(info.lastActiveAt?.toISOString(), "2026-12-04T10:05:00.000Z")
      assert.strictEqual(info.sourceIp, "203.0.113.5")
      const [post, empty, get, del] = server.hits
      assert.strictEqual(post!.url, "/local/@connections/L0SM9cOFvHcCIhw%3D")
      assert.isTrue(post!.body.equals(data))
      assert.strictEqual(post!.headers["content-type"], "application/octet-stream")
      assert.strictEqual(empty!.body.length, 0)
      assert.strictEqual(get!.method, "GET")
      assert.strictEqual(del!.method, "DELETE")
      assert.strictEqual(post!.headers["x-amz-security-token"], tokenText)
      for (const hit of server.hits) assert.isTrue(yield* Effect.promise(() => verify(hit, credentials)), hit.method)
    })
  )

  it.scopedLive("signs exactly as the node:http transport does", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const web = yield* platform(config(server.endpoint))
      const node = yield* HttpTransport.make(config(server.endpoint))
      yield* web.post("a%b=", new Uint8Array([1, 2, 3]))
      yield* node.post("a%b=", new Uint8Array([1, 2, 3]))
      const [a, b] = server.hits
      const pick = (hit: Hit) => [hit.url, hit.headers["x-amz-date"]?.slice(0, 8), hit.headers.host]
      assert.deepStrictEqual(pick(a!), pick(b!))
      assert.strictEqual(
        String(a!.headers.authorization).replace(/Signature=.*/, ""),
        String(b!.headers.authorization).replace(/Signature=.*/, "")
      )
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------

const scenarios: Array<{ name: string; respond: Respond; op?: "get" | "delete"; tag: StreamerError["_tag"] }> = [
  {
    name: "410 empty body with x-amzn-ErrorType",
    respond: reply(410, { "x-amzn-ErrorType": "GoneException" }),
    tag: "GoneError"
  },
  { name: "410 with no name", respond: reply(410), tag: "GoneError" },
  { name: "403 named in the body", respond: json(403, { __type: "AccessDeniedException" }), tag: "ForbiddenError" },
  {
    name: "403 InvalidSignatureException quoting the token",
    respond: json(
      403,
      {
        message: `Signature mismatch.\n\nThe Canonical String for this request should have been 'x-amz-security-token:${tokenText}'`
      },
      { "x-amzn-ErrorType": "InvalidSignatureException" }
    ),
    tag: "ForbiddenError"
  },
  { name: "413", respond: json(413, { message: "too big" }), tag: "PayloadTooLargeError" },
  { name: "429 Retry-After seconds", respond: json(429, {}, { "Retry-After": "2" }), tag: "ThrottlingError" },
  { name: "429 x-amz-retry-after", respond: json(429, {}, { "x-amz-retry-after": "750" }), tag: "ThrottlingError" },
  { name: "400", respond: json(400, { message: "bad id" }), tag: "InvalidConnectionError" },
  {
    name: "503 non-JSON",
    respond: reply(503, { "content-type": "text/html" }, "<html>down</html>"),
    tag: "InternalServerError"
  },
  { name: "200 GET non-JSON", op: "get", respond: reply(200, {}, "nope"), tag: "RequestError" },
  { name: "302 redirect-like answer", respond: reply(302, { location: "/elsewhere" }), tag: "RequestError" }
]

const run = (transport: Transport, op: "get" | "delete" | undefined) =>
  operate(transport, op, new Uint8Array([1, 2, 3]))

const summary = (e: StreamerError) => ({
  _tag: e._tag,
  message: e.message,
  retryAfter: e._tag === "ThrottlingError" ? Option.map(e.retryAfter, Duration.toMillis) : undefined,
  isRetryable: e.isRetryable
})

describe("platformTransport: answers mapped as the node:http transport maps them", () => {
  for (const scenario of scenarios) {
    it.scopedLive(scenario.name, () =>
      Effect.gen(function* () {
        const server = yield* testServer(scenario.respond)
        const web = yield* platform(config(server.endpoint))
        const node = yield* HttpTransport.make(config(server.endpoint))
        const error = yield* Effect.flip(run(web, scenario.op))
        assert.strictEqual(error._tag, scenario.tag)
        assert.deepStrictEqual(summary(error), summary(yield* Effect.flip(run(node, scenario.op))))
        assert.notInclude(String((error.cause as Error | undefined)?.message), tokenText)
      })
    )
  }
})

// ---------------------------------------------------------------------------------------------------------------

describe("platformTransport: timeouts, sockets, interruption", () => {
  it.scopedLive("fails with RequestError Timeout when the server never answers, and aborts the request", () =>
    Effect.gen(function* () {
      const { closed, server } = yield* silentServer
      const transport = yield* platform(config(server.endpoint, { timeout: Duration.millis(300) }))
      const start = Date.now()
      const error = yield* Effect.flip(transport.post("abc=", new Uint8Array([1])))
      const elapsed = Date.now() - start
      assert.deepInclude(error, { _tag: "RequestError", reason: "Timeout" })
      assert.isAtLeast(elapsed, 290)
      assert.isBelow(elapsed, 5000, "ended by the 300 ms timeout, not by a hang")
      yield* Effect.promise(() => closed).pipe(Effect.timeout("2 seconds"))
    })
  )

  it.scopedLive("fails with RequestError Transport when nothing listens or the socket is destroyed", () =>
    Effect.gen(function* () {
      const server = yield* testServer((_hit, req) => req.socket.destroy())
      const transport = yield* platform(config(server.endpoint))
      const dropped = yield* Effect.flip(transport.post("abc=", new Uint8Array([1])))
      assert.deepInclude(dropped, { _tag: "RequestError", reason: "Transport", isRetryable: true })
      const port = yield* freePort
      const nowhere = yield* platform(config(`http://127.0.0.1:${port}/local`))
      const refused = yield* Effect.flip(nowhere.get("abc="))
      assert.deepInclude(refused, { _tag: "RequestError", reason: "Transport" })
      assert.include(refused.message, "ECONNREFUSED")
    })
  )

  it.scopedLive("interruption aborts the request in flight", () =>
    Effect.gen(function* () {
      const { arrived, closed: aborted, server } = yield* silentServer
      const transport = yield* platform(config(server.endpoint))
      const fiber = yield* Effect.fork(transport.delete("abc="))
      yield* Effect.promise(() => arrived)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      assert.isTrue(yield* Effect.promise(() => aborted).pipe(Effect.timeout("2 seconds")))
    })
  )

  it.scopedLive("never follows a redirect (it would carry the session token), keeping the app's fetch options", () =>
    Effect.gen(function* () {
      const inits: Array<RequestInit | undefined> = []
      const fetchSpy = (_input: RequestInfo | URL, init?: RequestInit) => {
        inits.push(init)
        return Promise.resolve(new Response(null, { status: 307, headers: { location: "https://elsewhere.example/" } }))
      }
      const transport = yield* platform(config("https://abc.execute-api.eu-west-1.amazonaws.com/prod"))
      const error = yield* Effect.flip(transport.post("abc=", new Uint8Array([1]))).pipe(
        Effect.provideService(FetchHttpClient.Fetch, fetchSpy as typeof fetch),
        Effect.provideService(FetchHttpClient.RequestInit, { keepalive: true })
      )
      assert.deepInclude(error, { _tag: "RequestError", reason: "Transport" })
      assert.include(error.message, "unexpected answer 307")
      assert.strictEqual(inits.length, 1)
      assert.strictEqual(inits[0]!.redirect, "manual")
      assert.strictEqual(inits[0]!.keepalive, true)
    })
  )

  it.scopedLive("works over any HttpClient, and keeps the signature's secrets out of the client's spans", () =>
    Effect.gen(function* () {
      const seen: Array<Record<string, string>> = []
      const client = HttpClient.make((request) => {
        seen.push({ ...request.headers })
        return Effect.succeed(
          HttpClientResponse.fromWeb(
            request,
            new Response(null, { status: 410, headers: { "x-amzn-errortype": "GoneException" } })
          )
        )
      })
      const spans: Array<RecordedSpan> = []
      const transport = yield* PlatformTransport.makeWithHttpClient(
        config("https://abc.execute-api.eu-west-1.amazonaws.com/prod")
      ).pipe(Effect.provideService(HttpClient.HttpClient, client))
      const error = yield* Effect.flip(transport.post("abc=", new Uint8Array([1]))).pipe(
        Effect.withTracer(recordingTracer(spans))
      )
      assert.strictEqual(error._tag, "GoneError")
      assert.strictEqual(seen[0]!["x-amz-security-token"], tokenText)
      assert.match(
        seen[0]!.authorization!,
        /^AWS4-HMAC-SHA256 Credential=AKIDPLATFORM\/\d{8}\/eu-west-1\/execute-api\/aws4_request/
      )
      const attributes = spans.flatMap((span) => Object.entries(span.attributes))
      assert.isAbove(attributes.length, 0)
      for (const [key, value] of attributes) {
        assert.notInclude(String(value), tokenText, key)
        assert.notInclude(String(value), "Signature=", key)
      }
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------

describe("platformTransport: credentials and portability", () => {
  it.scopedLive("fails with RequestError Credentials when there are none anywhere", () =>
    Effect.gen(function* () {
      yield* withoutCredentials
      const server = yield* testServer(reply(200))
      const transport = yield* platform(config(server.endpoint, { credentials: undefined }))
      const error = yield* Effect.flip(transport.post("abc=", new Uint8Array([1])))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Credentials", isRetryable: false })
      assert.strictEqual(server.hits.length, 0)
    })
  )

  it.scopedLive("uses the environment's credentials when the options have none", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* platform(config(server.endpoint, { credentials: undefined }))
      yield* transport.post("abc=", new Uint8Array([1]))
      const env: Creds = {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: Redacted.make(process.env.AWS_SECRET_ACCESS_KEY!)
      }
      assert.isTrue(yield* Effect.promise(() => verify(server.hits[0]!, env)))
    })
  )

  it("imports nothing node-only statically (it must run on Deno, Bun and Workers)", () => {
    const root = Path.resolve(import.meta.dirname, "../src/internal")
    const seen = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      const source = Fs.readFileSync(file, "utf8")
      for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+"([^"]+)"/gm)) {
        assert.notMatch(specifier!, /^node:/, `${file} imports ${specifier}`)
        assert.notMatch(specifier!, /^(http|https|crypto|fs|net|tls|os|path|stream)$/, `${file} imports ${specifier}`)
        assert.notMatch(specifier!, /^@aws-sdk\//, `${file} imports ${specifier}`)
        if (specifier!.startsWith(".")) visit(Path.resolve(Path.dirname(file), specifier!.replace(/\.js$/, ".ts")))
      }
    }
    visit(Path.join(root, "platformTransport.ts"))
    for (const file of ["sigv4Web.ts", "sigv4Canonical.ts", "credentials.ts"])
      assert.isTrue(seen.has(Path.join(root, file)))
  })
})

// ---------------------------------------------------------------------------------------------------------------

describe("platformTransport against the local gateway (strict SigV4)", () => {
  it.scopedLive("posts, reads and deletes with signatures the gateway accepts", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
        region: "eu-west-1"
      })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const transport = yield* platform(config(gateway.endpoint))
      yield* transport.post(client.connectionId, new TextEncoder().encode("portable"))
      assert.strictEqual((yield* client.waitFor(1))[0]!.text, "portable")
      assert.strictEqual((yield* transport.get(client.connectionId)).connectionId, client.connectionId)
      yield* transport.delete(client.connectionId)
      yield* client.closed
      assert.strictEqual((yield* Effect.flip(transport.get(client.connectionId)))._tag, "GoneError")
      const wrong = yield* platform(
        config(gateway.endpoint, { credentials: { ...credentials, secretAccessKey: Redacted.make("wrong") } })
      )
      assert.strictEqual((yield* Effect.flip(wrong.post("abc=", new Uint8Array([1]))))._tag, "ForbiddenError")
    })
  )
})
