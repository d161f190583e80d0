import * as Crypto from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../src/internal/credentials.js"
import * as HttpTransport from "../src/internal/httpTransport.js"
import * as SdkTransport from "../src/internal/sdkTransport.js"
import type { Credentials as Creds, Transport } from "../src/internal/transport.js"
import * as LocalGateway from "../src/LocalGateway.js"
import type { StreamerError } from "../src/StreamerError.js"
import { json, reply, type Respond, testServer, verify } from "./helpers/signedServer.js"
import { configFor, freePort, operate, silentServer, withoutCredentials } from "./helpers/signedServer.js"
import { fixture, runFixture } from "./helpers/child.js"
import * as WsClient from "./helpers/wsClient.js"

// ---------------------------------------------------------------------------------------------------------------

const credentials: Creds = {
  accessKeyId: "AKIDHTTPTEST",
  secretAccessKey: Redacted.make("http-test-secret/with+chars"),
  sessionToken: Redacted.make("FwoGZXIvYXdzEJr//////////session+token=")
}

const config = configFor({ region: "us-east-1", credentials })

const flip = <A>(effect: Effect.Effect<A, StreamerError>) => Effect.flip(effect)

/** Polls a condition on the live clock. */
const eventually = (condition: () => boolean, within: Duration.DurationInput = "2 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    while (!condition()) {
      if (Date.now() > deadline) return false
      yield* Effect.sleep("10 millis")
    }
    return true
  })

// ---------------------------------------------------------------------------------------------------------------

describe("httpTransport: success", () => {
  it.scopedLive("posts the bytes as they are, signed, and succeeds on 200", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const data = Uint8Array.from({ length: 256 }, (_, i) => i)
      yield* transport.post("L0SM9cOFvHcCIhw=", data)
      const hit = server.hits[0]!
      assert.strictEqual(hit.method, "POST")
      assert.strictEqual(hit.url, "/local/@connections/L0SM9cOFvHcCIhw%3D")
      assert.deepStrictEqual(new Uint8Array(hit.body), data)
      assert.strictEqual(hit.headers["content-type"], "application/octet-stream")
      assert.strictEqual(hit.headers["content-length"], "256")
      assert.strictEqual(hit.headers.host, `127.0.0.1:${server.port}`)
      assert.strictEqual(hit.headers["x-amz-security-token"], Redacted.value(credentials.sessionToken!))
      assert.isUndefined(hit.headers["x-amz-content-sha256"])
      assert.isTrue(yield* Effect.promise(() => verify(hit, credentials)))
    })
  )

  it.scopedLive("posts 131072 bytes and empty payloads", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const big = Crypto.randomBytes(131072)
      yield* transport.post("ZDb-VclrIAMCJ3w=", big)
      yield* transport.post("ZDb-VclrIAMCJ3w=", new Uint8Array(0))
      assert.isTrue(server.hits[0]!.body.equals(big))
      assert.strictEqual(server.hits[1]!.headers["content-length"], "0")
      for (const hit of server.hits) assert.isTrue(yield* Effect.promise(() => verify(hit, credentials)))
    })
  )

  it.scopedLive("deletes (204) and reads a connection (GET 200 JSON)", () =>
    Effect.gen(function* () {
      const server = yield* testServer((hit, req, res) =>
        hit.method === "DELETE"
          ? reply(204)(hit, req, res)
          : json(200, {
              connectedAt: "2026-12-04T10:00:00.000Z",
              identity: { sourceIp: "203.0.113.5", userAgent: "test-agent" },
              lastActiveAt: "2026-12-04T10:05:00.000Z"
            })(hit, req, res)
      )
      const transport = yield* HttpTransport.make(config(server.endpoint, { credentials: undefined }))
      yield* transport.delete("abc=")
      const info = yield* transport.get("abc=")
      assert.strictEqual(info.connectionId, "abc=")
      assert.strictEqual(info.connectedAt?.toISOString(), "2026-12-04T10:00:00.000Z")
      assert.strictEqual(info.lastActiveAt?.toISOString(), "2026-12-04T10:05:00.000Z")
      assert.strictEqual(info.sourceIp, "203.0.113.5")
      assert.strictEqual(info.userAgent, "test-agent")
      assert.deepStrictEqual(
        server.hits.map((h) => [h.method, h.url, h.headers["content-type"], h.headers["content-length"]]),
        [
          ["DELETE", "/local/@connections/abc%3D", undefined, undefined],
          ["GET", "/local/@connections/abc%3D", undefined, undefined]
        ]
      )
    })
  )

  it.scopedLive("encodes any id as one path segment and signs it right", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(`${server.endpoint}/`))
      for (const id of ["a%b", "!'()*~", "?x#y", "..."]) yield* transport.post(id, new Uint8Array([1]))
      assert.deepStrictEqual(
        server.hits.map((h) => h.url),
        [
          "/local/@connections/a%25b",
          "/local/@connections/%21%27%28%29%2A~",
          "/local/@connections/%3Fx%23y",
          "/local/@connections/..."
        ]
      )
      for (const hit of server.hits) assert.isTrue(yield* Effect.promise(() => verify(hit, credentials)))
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------

interface Scenario {
  readonly name: string
  readonly respond: Respond
  readonly op?: "post" | "get" | "delete"
  readonly check: (error: StreamerError) => void
}

const tokenText = Redacted.value(credentials.sessionToken!)

const scenarios: Array<Scenario> = [
  {
    name: "410 with an empty body and x-amzn-ErrorType",
    respond: reply(410, {
      "x-amzn-ErrorType": "GoneException",
      "x-amzn-RequestId": "r1",
      "content-type": "application/json"
    }),
    check: (e) => assert.strictEqual(e._tag, "GoneError")
  },
  {
    name: "410 with no name at all",
    respond: reply(410),
    check: (e) => assert.strictEqual(e._tag, "GoneError")
  },
  {
    name: "410 with AWS's long header form",
    respond: reply(410, { "x-amzn-ErrorType": "GoneException:http://internal.amazon.com/coral/com.amazon.gateway/" }),
    check: (e) => assert.strictEqual(e._tag, "GoneError")
  },
  {
    name: "403 ForbiddenException",
    respond: json(403, { message: "Forbidden" }, { "x-amzn-ErrorType": "ForbiddenException" }),
    check: (e) => assert.deepInclude(e, { _tag: "ForbiddenError", awsErrorName: "ForbiddenException" })
  },
  {
    name: "403 AccessDeniedException named in the body only",
    respond: json(403, { __type: "AccessDeniedException", message: "User is not authorized" }),
    check: (e) => assert.deepInclude(e, { _tag: "ForbiddenError", awsErrorName: "AccessDeniedException" })
  },
  {
    name: "403 InvalidSignatureException quoting the canonical request",
    respond: json(
      403,
      {
        message: `The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\n/local/%40connections/x\n\nhost:h\nx-amz-security-token:${tokenText}\n'`
      },
      { "x-amzn-ErrorType": "InvalidSignatureException" }
    ),
    check: (e) => {
      assert.deepInclude(e, { _tag: "ForbiddenError", awsErrorName: "InvalidSignatureException" })
      assert.notInclude(String((e.cause as Error | undefined)?.message), tokenText)
      assert.notInclude(e.message, tokenText)
    }
  },
  {
    name: "403 UnrecognizedClientException named by `code`",
    respond: json(403, { code: "UnrecognizedClientException", message: "bad token" }),
    check: (e) => assert.deepInclude(e, { _tag: "ForbiddenError", awsErrorName: "UnrecognizedClientException" })
  },
  {
    name: "413 PayloadTooLargeException",
    respond: json(413, { message: "too big" }, { "x-amzn-ErrorType": "PayloadTooLargeException" }),
    check: (e) => assert.deepInclude(e, { _tag: "PayloadTooLargeError", payloadSize: 5, maxSize: 131072 })
  },
  {
    name: "429 with Retry-After in seconds",
    respond: json(429, { message: "slow down" }, { "x-amzn-ErrorType": "LimitExceededException", "Retry-After": "3" }),
    check: (e) => {
      assert.strictEqual(e._tag, "ThrottlingError")
      if (e._tag === "ThrottlingError") assert.deepStrictEqual(e.retryAfter, Option.some(Duration.seconds(3)))
    }
  },
  {
    name: "429 with Retry-After as an HTTP date",
    respond: (hit, req, res) =>
      json(429, { message: "slow down" }, { "Retry-After": new Date(Date.now() + 5000).toUTCString() })(hit, req, res),
    check: (e) => {
      assert.strictEqual(e._tag, "ThrottlingError")
      if (e._tag === "ThrottlingError") {
        const millis = Duration.toMillis(Option.getOrThrow(e.retryAfter))
        assert.isAtLeast(millis, 3000)
        assert.isAtMost(millis, 5000)
      }
    }
  },
  {
    name: "429 with x-amz-retry-after in milliseconds",
    respond: json(429, {}, { "x-amzn-ErrorType": "TooManyRequestsException", "x-amz-retry-after": "1500" }),
    check: (e) => {
      assert.strictEqual(e._tag, "ThrottlingError")
      if (e._tag === "ThrottlingError") assert.deepStrictEqual(e.retryAfter, Option.some(Duration.millis(1500)))
    }
  },
  {
    name: "429 without a hint",
    respond: json(429, { message: "slow down" }, { "x-amzn-ErrorType": "LimitExceededException" }),
    check: (e) => assert.deepInclude(e, { _tag: "ThrottlingError", retryAfter: Option.none() })
  },
  {
    name: "400 BadRequestException",
    respond: json(400, { message: "Invalid connectionId" }, { "x-amzn-ErrorType": "BadRequestException" }),
    check: (e) => assert.strictEqual(e._tag, "InvalidConnectionError")
  },
  {
    name: "400 named LimitExceededException: the name wins",
    respond: json(400, { message: "buffer full" }, { "x-amzn-ErrorType": "LimitExceededException" }),
    check: (e) => assert.strictEqual(e._tag, "ThrottlingError")
  },
  ...[500, 502, 503, 504].map((status): Scenario => ({
    name: `${status} with a JSON body`,
    respond: json(status, { message: "Internal server error" }),
    check: (e) => assert.deepInclude(e, { _tag: "InternalServerError", status })
  })),
  {
    name: "502 with a non-JSON body",
    respond: reply(502, { "content-type": "text/html" }, "<html><body>Bad Gateway</body></html>"),
    check: (e) => assert.deepInclude(e, { _tag: "InternalServerError", status: 502 })
  },
  {
    name: "200 GET with a non-JSON body",
    op: "get",
    respond: reply(200, { "content-type": "text/html" }, "<html>oops</html>"),
    check: (e) => assert.deepInclude(e, { _tag: "RequestError", reason: "Transport" })
  },
  {
    name: "410 on GET",
    op: "get",
    respond: reply(410, { "x-amzn-ErrorType": "GoneException" }),
    check: (e) => assert.strictEqual(e._tag, "GoneError")
  },
  {
    name: "403 on DELETE",
    op: "delete",
    respond: reply(403, { "x-amzn-ErrorType": "ForbiddenException" }),
    check: (e) => assert.strictEqual(e._tag, "ForbiddenError")
  }
]

const run = (transport: Transport, op: Scenario["op"]) => operate(transport, op, new TextEncoder().encode("hello"))

/** What both transports must agree on. */
const summary = (e: StreamerError) => ({
  _tag: e._tag,
  status: "status" in e ? e.status : undefined,
  awsErrorName: "awsErrorName" in e ? e.awsErrorName : undefined,
  reason: "reason" in e && e._tag === "RequestError" ? e.reason : undefined,
  // Present or not; the values are compared apart, since an HTTP-date hint shrinks between the two requests.
  retryAfter: e._tag === "ThrottlingError" ? Option.isSome(e.retryAfter) : undefined,
  isRetryable: e.isRetryable
})

describe("httpTransport: answers mapped like the SDK transport", () => {
  for (const scenario of scenarios) {
    it.scopedLive(scenario.name, () =>
      Effect.gen(function* () {
        const server = yield* testServer(scenario.respond)
        const http = yield* HttpTransport.make(config(server.endpoint))
        const sdk = yield* SdkTransport.make(config(server.endpoint))
        const error = yield* flip(run(http, scenario.op))
        scenario.check(error)
        const sdkError = yield* flip(run(sdk, scenario.op))
        assert.deepStrictEqual(summary(error), summary(sdkError))
        if (error._tag === "ThrottlingError" && sdkError._tag === "ThrottlingError") {
          const [a, b] = [error, sdkError].map((e) =>
            Option.getOrElse(Option.map(e.retryAfter, Duration.toMillis), () => 0)
          )
          assert.isAtMost(Math.abs(a! - b!), 1000, `retry hints ${a} and ${b}`)
        }
      })
    )
  }
})

// ---------------------------------------------------------------------------------------------------------------

describe("httpTransport: sockets, timeouts and interruption", () => {
  it.scopedLive("fails with RequestError Timeout when the server never answers, within the timeout", () =>
    Effect.gen(function* () {
      const { closed, server } = yield* silentServer
      const transport = yield* HttpTransport.make(config(server.endpoint, { timeout: Duration.millis(300) }))
      const start = Date.now()
      const error = yield* flip(transport.post("abc=", new Uint8Array([1])))
      const elapsed = Date.now() - start
      assert.deepInclude(error, { _tag: "RequestError", reason: "Timeout", isRetryable: true })
      assert.isAtLeast(elapsed, 290)
      assert.isBelow(elapsed, 5000, "ended by the 300 ms timeout, not by a hang")
      // The request was destroyed, not left hanging.
      yield* Effect.promise(() => closed)
    })
  )

  it.scopedLive("fails with RequestError Transport when the socket is destroyed", () =>
    Effect.gen(function* () {
      const server = yield* testServer((_hit, req) => req.socket.destroy())
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const error = yield* flip(transport.post("abc=", new Uint8Array([1])))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Transport", isRetryable: true })
      assert.notInclude(error.message, tokenText)
    })
  )

  it.scopedLive("fails with RequestError Transport when the answer is cut short", () =>
    Effect.gen(function* () {
      const server = yield* testServer((_hit, req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        res.write('{"connectedAt":')
        setTimeout(() => req.socket.destroy(), 20)
      })
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const error = yield* flip(transport.get("abc="))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Transport" })
    })
  )

  it.scopedLive("fails with RequestError Transport when nothing listens", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const endpoint = server.endpoint
      const port = yield* freePort
      const transport = yield* HttpTransport.make(config(endpoint.replace(/:\d+\//, `:${port}/`)))
      const error = yield* flip(transport.delete("abc="))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Transport" })
      assert.include(error.message, "ECONNREFUSED")
    })
  )

  it.scopedLive("interruption aborts the request in flight: the server sees it closed before it answered", () =>
    Effect.gen(function* () {
      const { arrived, closed: aborted, server } = yield* silentServer
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const fiber = yield* Effect.fork(transport.post("abc=", new Uint8Array([1, 2, 3])))
      yield* Effect.promise(() => arrived)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      const wasAborted = yield* Effect.promise(() => aborted).pipe(Effect.timeout("2 seconds"))
      assert.isTrue(wasAborted)
    })
  )

  it.scopedLive("keep-alive reuses one socket for 100 sequential requests", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(server.endpoint))
      const data = new TextEncoder().encode("ping")
      for (let i = 0; i < 100; i++) yield* transport.post("abc=", data)
      assert.strictEqual(server.hits.length, 100)
      assert.strictEqual(server.stats.connections, 1)
    })
  )

  it.scopedLive("keeps reusing the socket after error answers (bodies are drained)", () =>
    Effect.gen(function* () {
      let n = 0
      const server = yield* testServer((hit, req, res) =>
        n++ % 2 === 0
          ? json(429, { message: "x".repeat(5000) }, { "x-amzn-ErrorType": "LimitExceededException" })(hit, req, res)
          : json(200, { connectedAt: "2026-12-04T10:00:00.000Z" })(hit, req, res)
      )
      const transport = yield* HttpTransport.make(config(server.endpoint))
      for (let i = 0; i < 10; i++) yield* Effect.either(transport.get("abc="))
      assert.strictEqual(server.stats.connections, 1)
    })
  )

  it.scopedLive("closing the scope destroys the agent and its sockets", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const transport = yield* HttpTransport.make(config(server.endpoint))
          yield* Effect.all(
            Array.from({ length: 5 }, () => transport.post("abc=", new Uint8Array([1]))),
            { concurrency: "unbounded" }
          )
          assert.isAbove(server.stats.open, 0)
        })
      )
      assert.isTrue(yield* eventually(() => server.stats.open === 0))
    })
  )

  it.scopedLive("handles 256 concurrent requests", () =>
    Effect.gen(function* () {
      const server = yield* testServer((hit, req, res) => setTimeout(() => reply(200)(hit, req, res), 5))
      const transport = yield* HttpTransport.make(config(server.endpoint))
      yield* Effect.all(
        Array.from({ length: 512 }, (_, i) => transport.post(`id${i}`, new Uint8Array([i & 255]))),
        { concurrency: 512 }
      )
      assert.strictEqual(server.hits.length, 512)
      assert.isAtMost(server.stats.connections, HttpTransport.maxSockets)
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------

describe("httpTransport: credentials", () => {
  it.scopedLive("uses the environment's credentials when the options have none", () =>
    Effect.gen(function* () {
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(server.endpoint, { credentials: undefined }))
      yield* transport.post("abc=", new Uint8Array([1]))
      const hit = server.hits[0]!
      assert.include(String(hit.headers.authorization), "Credential=AKIDTESTEXAMPLE/")
      assert.isUndefined(hit.headers["x-amz-security-token"])
      const env: Creds = {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: Redacted.make(process.env.AWS_SECRET_ACCESS_KEY!)
      }
      assert.isTrue(yield* Effect.promise(() => verify(hit, env)))
    })
  )

  it.scopedLive("fails with RequestError Credentials (not a defect) when there are none anywhere", () =>
    Effect.gen(function* () {
      yield* withoutCredentials
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.make(config(server.endpoint, { credentials: undefined }))
      const error = yield* flip(transport.post("abc=", new Uint8Array([1])))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Credentials", isRetryable: false })
      const again = yield* flip(transport.get("abc="))
      assert.deepInclude(again, { _tag: "RequestError", reason: "Credentials" })
      assert.strictEqual(server.hits.length, 0)
    })
  )

  it.scopedLive("looks the chain up once, shares it between concurrent requests, and caches it", () =>
    Effect.gen(function* () {
      yield* withoutCredentials
      let lookups = 0
      const chain: Credentials.ChainProvider = async () => {
        lookups++
        await new Promise((r) => setTimeout(r, 20))
        return { accessKeyId: "AKIDCHAIN", secretAccessKey: "chain-secret", sessionToken: "chain-token" }
      }
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.makeWith(config(server.endpoint, { credentials: undefined }), {
        loadChain: async () => chain
      })
      yield* Effect.all(
        Array.from({ length: 10 }, () => transport.post("abc=", new Uint8Array([1]))),
        { concurrency: "unbounded" }
      )
      for (let i = 0; i < 5; i++) yield* transport.delete("abc=")
      assert.strictEqual(lookups, 1)
      const chainCreds: Creds = {
        accessKeyId: "AKIDCHAIN",
        secretAccessKey: Redacted.make("chain-secret"),
        sessionToken: Redacted.make("chain-token")
      }
      for (const hit of server.hits) assert.isTrue(yield* Effect.promise(() => verify(hit, chainCreds)))
    })
  )

  it.scopedLive("uses credentials close to expiry for half their remaining life, not once", () =>
    Effect.gen(function* () {
      yield* withoutCredentials
      let lookups = 0
      const chain: Credentials.ChainProvider = async () => {
        lookups++
        return { accessKeyId: "AKIDSHORT", secretAccessKey: "s", expiration: new Date(Date.now() + 10 * 60 * 1000) }
      }
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.makeWith(config(server.endpoint, { credentials: undefined }), {
        loadChain: async () => chain,
        refreshMargin: 60 * 60 * 1000
      })
      for (let i = 0; i < 3; i++) yield* transport.post("abc=", new Uint8Array([1]))
      assert.strictEqual(lookups, 1)
    })
  )

  it.live("refreshes before expiry, and keeps unexpired credentials when a refresh fails", () =>
    Effect.gen(function* () {
      let lookups = 0
      const start = Date.now()
      const provider = Credentials.fromChain({
        loadChain: async () => async () => {
          lookups++
          if (lookups === 2) throw new Error("metadata service unavailable")
          return { accessKeyId: `AKID${lookups}`, secretAccessKey: "s", expiration: new Date(start + lookups * 1000) }
        },
        // Refresh 500 ms before expiry.
        refreshMargin: 500
      })
      assert.isUndefined(provider.current())
      assert.strictEqual((yield* provider.resolve("abc=")).accessKeyId, "AKID1")
      assert.strictEqual(provider.current()?.accessKeyId, "AKID1")
      yield* Effect.sleep("600 millis")
      // Due for refresh; the refresh fails, but AKID1 has not expired yet.
      assert.isUndefined(provider.current())
      assert.strictEqual((yield* provider.resolve("abc=")).accessKeyId, "AKID1")
      yield* Effect.sleep("500 millis")
      // Expired now: the next lookup's credentials.
      assert.strictEqual((yield* provider.resolve("abc=")).accessKeyId, "AKID3")
      assert.strictEqual(lookups, 3)
    })
  )

  it.effect("a failed lookup of expired credentials is RequestError Credentials", () =>
    Effect.gen(function* () {
      const provider = Credentials.fromChain({
        loadChain: async () => () => Promise.reject(new Error("no way"))
      })
      const error = yield* Effect.flip(provider.resolve("abc="))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Credentials", connectionId: "abc=" })
    })
  )

  it.scopedLive("a chain that cannot be loaded is RequestError Credentials", () =>
    Effect.gen(function* () {
      yield* withoutCredentials
      const server = yield* testServer(reply(200))
      const transport = yield* HttpTransport.makeWith(config(server.endpoint, { credentials: undefined }), {
        loadChain: () => Promise.reject(new Error("Cannot find package '@aws-sdk/credential-provider-node'"))
      })
      const error = yield* flip(transport.post("abc=", new Uint8Array([1])))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Credentials" })
      assert.include(error.message, "credential-provider-node")
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------

describe("httpTransport against the local gateway (strict SigV4)", () => {
  const gatewayCredentials = { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }

  it.scopedLive("posts, reads and deletes with signatures the gateway accepts, session token included", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ credentials: gatewayCredentials, region: "eu-west-1" })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const transport = yield* HttpTransport.make(config(gateway.endpoint, { region: "eu-west-1" }))
      yield* transport.post(client.connectionId, new TextEncoder().encode("h\u00e9llo"))
      const [message] = yield* client.waitFor(1)
      assert.strictEqual(message!.text, "h\u00e9llo")
      const info = yield* transport.get(client.connectionId)
      assert.strictEqual(info.connectionId, client.connectionId)
      assert.instanceOf(info.connectedAt, Date)
      yield* transport.delete(client.connectionId)
      yield* client.closed
      const gone = yield* flip(transport.post(client.connectionId, new Uint8Array([1])))
      assert.strictEqual(gone._tag, "GoneError")
      const statuses = (yield* gateway.requests).map((r) => r.status)
      assert.deepStrictEqual(statuses, [200, 200, 204, 410])
    })
  )

  it.scopedLive("a wrong secret or region is ForbiddenError, named as the gateway names it", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make({ credentials: gatewayCredentials })
      const client = yield* WsClient.connect(gateway.wsUrl)
      const wrongSecret = yield* HttpTransport.make(
        config(gateway.endpoint, { credentials: { ...credentials, secretAccessKey: Redacted.make("not-the-secret") } })
      )
      const error = yield* flip(wrongSecret.post(client.connectionId, new Uint8Array([1])))
      assert.deepInclude(error, { _tag: "ForbiddenError", awsErrorName: "InvalidSignatureException" })
      const wrongRegion = yield* HttpTransport.make(config(gateway.endpoint, { region: "us-west-2" }))
      const again = yield* flip(wrongRegion.get(client.connectionId))
      assert.strictEqual(again._tag, "ForbiddenError")
      assert.strictEqual((yield* client.messages).length, 0)
    })
  )
})

describe("httpTransport over TLS", () => {
  type Run = {
    ok: boolean
    error?: { tag: string; reason?: string }
    defect: boolean
    seen: Array<{ method: string; url: string; signed: boolean; body: string }>
  }
  const post = (env: Record<string, string>) => runFixture<Run>(fixture("httpsPost.ts"), { env })

  it.live("posts over https to a server whose certificate it trusts, and refuses one it does not", () =>
    Effect.gen(function* () {
      const trusted = yield* post({ NODE_EXTRA_CA_CERTS: fixture("localhost-cert.pem") })
      assert.isTrue(trusted.ok, JSON.stringify(trusted))
      assert.deepStrictEqual(trusted.seen, [
        { method: "POST", url: "/prod/@connections/L0SM9cOFvHcCIhw%3D", signed: true, body: "hello over TLS" }
      ])
      // The same self-signed certificate without the CA: a typed transport error, and nothing reaches the server.
      const untrusted = yield* post({})
      assert.isFalse(untrusted.ok)
      assert.isFalse(untrusted.defect)
      assert.deepStrictEqual(untrusted.error, { tag: "RequestError", reason: "Transport" })
      assert.deepStrictEqual(untrusted.seen, [])
    })
  )
})
