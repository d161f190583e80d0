import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Region from "../src/Region.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("Region.fromEndpoint", () => {
  const cases: Array<[string, string | undefined]> = [
    ["https://abc123.execute-api.us-east-1.amazonaws.com/production", "us-east-1"],
    ["https://abc123.execute-api.us-west-2.amazonaws.com/production", "us-west-2"],
    ["https://abc123.execute-api.eu-west-1.amazonaws.com/dev", "eu-west-1"],
    ["https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod", "ap-southeast-2"],
    ["https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod", "us-gov-west-1"],
    ["wss://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod", "cn-north-1"],
    ["abc123.execute-api.eu-central-1.amazonaws.com", "eu-central-1"],
    ["https://ABC123.EXECUTE-API.US-WEST-2.AMAZONAWS.COM/prod", "us-west-2"],
    ["https://ws.example.com/production", undefined],
    ["https://abc123.execute-api.amazonaws.com/production", undefined],
    ["https://execute-api.us-west-2.amazonaws.com.evil.com/production", undefined],
    ["http://127.0.0.1:3001/local", undefined],
    ["not a url at all", undefined],
    ["", undefined]
  ]
  for (const [endpoint, region] of cases) {
    it(`${JSON.stringify(endpoint)} -> ${region ?? "none"}`, () => {
      assert.deepStrictEqual(Region.fromEndpoint(endpoint), Option.fromNullable(region))
    })
  }
})

describe("Region.resolve precedence", () => {
  const endpoint = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
  const custom = "https://ws.example.com/prod"
  const env = { AWS_REGION: "ap-northeast-1", AWS_DEFAULT_REGION: "sa-east-1" }

  it.effect("1. the explicit option wins", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* Region.resolve({ region: "us-west-2", endpoint }).pipe(withEnv(env)), "us-west-2")
    })
  )
  it.effect("2. then the endpoint's region", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* Region.resolve({ endpoint }).pipe(withEnv(env)), "eu-west-1")
    })
  )
  it.effect("3. then AWS_REGION", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* Region.resolve({ endpoint: custom }).pipe(withEnv(env)), "ap-northeast-1")
    })
  )
  it.effect("4. then AWS_DEFAULT_REGION", () =>
    Effect.gen(function* () {
      const region = yield* Region.resolve({ endpoint: custom }).pipe(withEnv({ AWS_DEFAULT_REGION: "sa-east-1" }))
      assert.strictEqual(region, "sa-east-1")
    })
  )
  it.effect("5. then us-east-1", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* Region.resolve({ endpoint: custom }).pipe(withEnv({})), "us-east-1")
      assert.strictEqual(yield* Region.resolve({}).pipe(withEnv({})), "us-east-1")
    })
  )
  it.effect("blank values are skipped", () =>
    Effect.gen(function* () {
      const region = yield* Region.resolve({ region: "  " }).pipe(
        withEnv({ AWS_REGION: " ", AWS_DEFAULT_REGION: "eu-north-1" })
      )
      assert.strictEqual(region, "eu-north-1")
    })
  )
})
