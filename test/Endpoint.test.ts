import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Endpoint from "../src/Endpoint.js"

describe("Endpoint.normalize", () => {
  const good: Array<[string, string]> = [
    [
      "https://abc123.execute-api.us-west-2.amazonaws.com/production",
      "https://abc123.execute-api.us-west-2.amazonaws.com/production"
    ],
    [
      "https://abc123.execute-api.us-west-2.amazonaws.com/production/",
      "https://abc123.execute-api.us-west-2.amazonaws.com/production"
    ],
    [
      "wss://abc123.execute-api.us-west-2.amazonaws.com/production",
      "https://abc123.execute-api.us-west-2.amazonaws.com/production"
    ],
    [
      "  https://ABC123.execute-api.us-west-2.amazonaws.com/Prod  ",
      "https://abc123.execute-api.us-west-2.amazonaws.com/Prod"
    ],
    [
      "https://abc123.execute-api.us-west-2.amazonaws.com/production/@connections",
      "https://abc123.execute-api.us-west-2.amazonaws.com/production"
    ],
    ["https://ws.example.com", "https://ws.example.com"],
    ["https://ws.example.com/v1/chat", "https://ws.example.com/v1/chat"],
    ["http://127.0.0.1:3001/local", "http://127.0.0.1:3001/local"],
    ["http://localhost:3001/local/", "http://localhost:3001/local"],
    ["ws://127.0.0.1:3001/local", "http://127.0.0.1:3001/local"],
    ["http://[::1]:3001/dev", "http://[::1]:3001/dev"]
  ]
  for (const [input, output] of good) {
    it.effect(`${JSON.stringify(input)} -> ${output}`, () =>
      Effect.gen(function* () {
        assert.strictEqual(yield* Endpoint.normalize(input), output)
      })
    )
  }

  const bad = [
    "",
    "   ",
    "abc123.execute-api.us-west-2.amazonaws.com/production",
    "http://abc123.execute-api.us-west-2.amazonaws.com/production",
    "ws://example.com/prod",
    "ftp://example.com/prod",
    "https://user:pass@example.com/prod",
    "https://example.com/prod?x=1",
    "https://example.com/prod#frag",
    "https://",
    "javascript:alert(1)"
  ]
  for (const input of bad) {
    it.effect(`refuses ${JSON.stringify(input)} with a ConfigError`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Endpoint.normalize(input))
        assert.isTrue(ConfigError.isConfigError(error))
        assert.isTrue(ConfigError.isInvalidData(error))
      })
    )
  }

  it("parse never throws on non-strings", () => {
    assert.isTrue(Either.isLeft(Endpoint.parse(undefined as unknown as string)))
    assert.isTrue(Either.isLeft(Endpoint.parse(42 as unknown as string)))
  })
})

describe("Endpoint.fromWebSocketEvent", () => {
  const event = (domainName: string, stage = "production", apiId = "abc123") => ({
    requestContext: { domainName, stage, apiId }
  })
  it("execute-api host -> https://{domainName}/{stage}", () => {
    assert.strictEqual(
      Endpoint.fromWebSocketEvent(event("abc123.execute-api.us-west-2.amazonaws.com")),
      "https://abc123.execute-api.us-west-2.amazonaws.com/production"
    )
  })
  it("loopback host -> http://{domainName}/{stage}", () => {
    assert.strictEqual(Endpoint.fromWebSocketEvent(event("127.0.0.1:3001", "local")), "http://127.0.0.1:3001/local")
    assert.strictEqual(Endpoint.fromWebSocketEvent(event("localhost:3001", "local")), "http://localhost:3001/local")
  })
  it("custom domain -> the execute-api endpoint of the api id", () => {
    assert.strictEqual(
      Endpoint.fromWebSocketEvent(event("ws.example.com"), { region: "eu-west-1" }),
      "https://abc123.execute-api.eu-west-1.amazonaws.com/production"
    )
    assert.strictEqual(
      Endpoint.fromWebSocketEvent(event("ws.example.cn"), { region: "cn-north-1" }),
      "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/production"
    )
  })
  it("custom domain falls back to AWS_REGION", () => {
    const saved = process.env.AWS_REGION
    process.env.AWS_REGION = "ap-south-1"
    try {
      assert.strictEqual(
        Endpoint.fromWebSocketEvent(event("ws.example.com")),
        "https://abc123.execute-api.ap-south-1.amazonaws.com/production"
      )
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION
      else process.env.AWS_REGION = saved
    }
  })
})
