import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand
} from "@aws-sdk/client-apigatewaymanagementapi"
import { assert, describe, it } from "@effect/vitest"
import { SignatureV4 } from "@smithy/signature-v4"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Sha256 } from "../src/internal/gateway/sigv4.js"
import * as LocalGateway from "../src/LocalGateway.js"
import * as WsClient from "./helpers/wsClient.js"

const accessKeyId = "AKIDLOCALGATEWAY"
const secretAccessKey = "local-gateway-secret"

interface SdkError {
  readonly name: string
  readonly message: string
  readonly $metadata: { readonly httpStatusCode?: number }
}

const sdkClient = (
  gateway: LocalGateway.Handle,
  options: {
    readonly region?: string
    readonly accessKeyId?: string
    readonly secretAccessKey?: string
    readonly sessionToken?: string
  } = {}
) =>
  Effect.acquireRelease(
    Effect.sync(
      () =>
        new ApiGatewayManagementApiClient({
          endpoint: gateway.endpoint,
          region: options.region ?? "us-east-1",
          maxAttempts: 1,
          credentials: {
            accessKeyId: options.accessKeyId ?? accessKeyId,
            secretAccessKey: options.secretAccessKey ?? secretAccessKey,
            ...(options.sessionToken !== undefined ? { sessionToken: options.sessionToken } : {})
          }
        })
    ),
    (client) => Effect.sync(() => client.destroy())
  )

const send = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (error) => error as SdkError })

const strict = (region?: string) =>
  LocalGateway.make({ credentials: { accessKeyId, secretAccessKey: Redacted.make(secretAccessKey) }, region })

/** Signs a request the way the SDK does, for raw requests whose parts the tests then alter. */
const sign = (
  gateway: LocalGateway.Handle,
  request: { readonly method: string; readonly path: string; readonly body?: string },
  options: { readonly signingDate?: Date } = {}
) =>
  Effect.promise(async () => {
    const signer = new SignatureV4({
      service: "execute-api",
      region: "us-east-1",
      credentials: { accessKeyId, secretAccessKey },
      sha256: Sha256
    })
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: "http:",
        hostname: "127.0.0.1",
        port: gateway.port,
        path: request.path,
        query: {},
        headers: {
          host: `127.0.0.1:${gateway.port}`,
          ...(request.body !== undefined ? { "content-type": "application/octet-stream" } : {})
        },
        body: request.body
      },
      options.signingDate ? { signingDate: options.signingDate } : {}
    )
    return signed.headers as Record<string, string>
  })

describe("LocalGateway signatures", () => {
  it.scopedLive("correct credentials pass on every operation (the AWS SDK client)", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const sdk = yield* sdkClient(gateway)
      const ConnectionId = client.connectionId
      yield* send(() => sdk.send(new PostToConnectionCommand({ ConnectionId, Data: "signed" })))
      yield* send(() => sdk.send(new PostToConnectionCommand({ ConnectionId, Data: new Uint8Array([0xff, 0xfe]) })))
      const info = yield* send(() => sdk.send(new GetConnectionCommand({ ConnectionId })))
      assert.instanceOf(info.ConnectedAt, Date)
      const messages = yield* client.waitFor(2)
      assert.strictEqual(messages[0]!.text, "signed")
      assert.isTrue(messages[1]!.data.equals(Buffer.from([0xff, 0xfe])))
      yield* send(() => sdk.send(new DeleteConnectionCommand({ ConnectionId })))
      assert.strictEqual((yield* client.closed).code, 1000)
      assert.isTrue((yield* gateway.requests).every((r) => r.status !== 403))
    })
  )

  it.scopedLive("a session token is accepted", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const sdk = yield* sdkClient(gateway, { sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN" })
      yield* send(() => sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: "t" })))
      assert.strictEqual((yield* client.waitFor(1))[0]!.text, "t")
    })
  )

  it.scopedLive("a wrong secret answers 403 InvalidSignatureException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const sdk = yield* sdkClient(gateway, { secretAccessKey: "not-the-secret" })
      const error = yield* Effect.flip(
        send(() => sdk.send(new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: "x" })))
      )
      assert.strictEqual(error.name, "InvalidSignatureException")
      assert.strictEqual(error.$metadata.httpStatusCode, 403)
      assert.include(error.message, "signature we calculated does not match")
      assert.deepStrictEqual(yield* client.messages, [])
    })
  )

  it.scopedLive("an unknown access key answers 403 UnrecognizedClientException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const sdk = yield* sdkClient(gateway, { accessKeyId: "AKIDSOMEONEELSE" })
      const error = yield* Effect.flip(send(() => sdk.send(new GetConnectionCommand({ ConnectionId: "abc=" }))))
      assert.strictEqual(error.name, "UnrecognizedClientException")
      assert.strictEqual(error.$metadata.httpStatusCode, 403)
    })
  )

  it.scopedLive("a credential scoped to another region answers 403 InvalidSignatureException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict("eu-west-1")
      const client = yield* WsClient.connect(gateway.wsUrl)
      const wrong = yield* sdkClient(gateway, { region: "us-east-1" })
      const error = yield* Effect.flip(
        send(() => wrong.send(new GetConnectionCommand({ ConnectionId: client.connectionId })))
      )
      assert.strictEqual(error.name, "InvalidSignatureException")
      assert.strictEqual(error.$metadata.httpStatusCode, 403)
      assert.strictEqual(error.message, "Credential should be scoped to a valid region")
      const right = yield* sdkClient(gateway, { region: "eu-west-1" })
      const info = yield* send(() => right.send(new GetConnectionCommand({ ConnectionId: client.connectionId })))
      assert.strictEqual(info.$metadata.httpStatusCode, 200)
    })
  )

  it.scopedLive("an unsigned request answers 403 MissingAuthenticationTokenException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(client.connectionId)}`,
        body: "unsigned"
      })
      assert.strictEqual(res.status, 403)
      assert.strictEqual(res.headers["x-amzn-errortype"], "MissingAuthenticationTokenException")
      assert.strictEqual(res.headers["content-type"], "application/json")
      assert.deepStrictEqual(JSON.parse(res.text), { message: "Missing Authentication Token" })
      assert.deepStrictEqual(yield* client.messages, [])
    })
  )

  it.scopedLive("the signature covers the raw path and the body: any change answers 403", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const other = yield* WsClient.connect(gateway.wsUrl)
      const path = `/local/@connections/${encodeURIComponent(client.connectionId)}`
      const headers = yield* sign(gateway, { method: "POST", path, body: "original" })
      const ok = yield* WsClient.request(gateway.endpoint, { method: "POST", path, body: "original", headers })
      assert.strictEqual(ok.status, 200)

      const altered = yield* WsClient.request(gateway.endpoint, { method: "POST", path, body: "tampered", headers })
      assert.strictEqual(altered.status, 403)
      assert.strictEqual(altered.headers["x-amzn-errortype"], "InvalidSignatureException")

      const elsewhere = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(other.connectionId)}`,
        body: "original",
        headers
      })
      assert.strictEqual(elsewhere.status, 403)
      const respelled = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: path.replace("@", "%40"),
        body: "original",
        headers
      })
      assert.strictEqual(respelled.status, 403)
      const viaPercent = path.replace("@", "%40")
      const signedPercent = yield* sign(gateway, { method: "POST", path: viaPercent, body: "percent" })
      const percent = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: viaPercent,
        body: "percent",
        headers: signedPercent
      })
      assert.strictEqual(percent.status, 200)

      assert.deepStrictEqual(
        (yield* client.waitFor(2)).map((m) => m.text),
        ["original", "percent"]
      )
      assert.deepStrictEqual(yield* other.messages, [])
    })
  )

  it.scopedLive("a signature more than 5 minutes old answers 403 InvalidSignatureException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const path = `/local/@connections/${encodeURIComponent(client.connectionId)}`
      const headers = yield* sign(gateway, { method: "GET", path }, { signingDate: new Date(Date.now() - 10 * 60_000) })
      const res = yield* WsClient.request(gateway.endpoint, { method: "GET", path, headers })
      assert.strictEqual(res.status, 403)
      assert.strictEqual(res.headers["x-amzn-errortype"], "InvalidSignatureException")
      assert.include((JSON.parse(res.text) as { message: string }).message, "Signature expired")
    })
  )

  it.scopedLive("a malformed Authorization header answers 403 IncompleteSignatureException", () =>
    Effect.gen(function* () {
      const gateway = yield* strict()
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "GET",
        path: "/local/@connections/abc%3D",
        headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIDLOCALGATEWAY/20260101/us-east-1" }
      })
      assert.strictEqual(res.status, 403)
      assert.strictEqual(res.headers["x-amzn-errortype"], "IncompleteSignatureException")
    })
  )

  it.scopedLive("without credentials the gateway accepts unsigned requests", () =>
    Effect.gen(function* () {
      const gateway = yield* LocalGateway.make()
      const client = yield* WsClient.connect(gateway.wsUrl)
      const res = yield* WsClient.request(gateway.endpoint, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(client.connectionId)}`,
        body: "open"
      })
      assert.strictEqual(res.status, 200)
    })
  )
})
