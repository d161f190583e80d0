import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { pathToFileURL } from "node:url"
import * as Streamer from "../src/Streamer.js"
import { fixture, runFixture } from "./helpers/child.js"

const build = (layer: Layer.Layer<Streamer.Streamer, ConfigError.ConfigError>) =>
  Effect.scoped(Effect.flatMap(Layer.build(layer), (context) => Effect.succeed(context))).pipe(Effect.exit)

const configError = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" && ConfigError.isConfigError(exit.cause.error)

/** Builds the "sdk" layer in a fresh node process (with extra `--import`s) and reads how it ended. */
const buildSdkLayerInChild = (imports: ReadonlyArray<string>) =>
  runFixture<{ built: boolean; configError?: boolean; message?: string; cause?: string }>(fixture("sdkLayer.ts"), {
    imports
  })

describe("Streamer layers", () => {
  it.live('transport "sdk" without the SDK package installed: a ConfigError naming it, not a defect', () =>
    Effect.gen(function* () {
      const without = yield* buildSdkLayerInChild([pathToFileURL(fixture("registerWithoutSdk.mjs")).href])
      assert.isFalse(without.built)
      assert.isTrue(without.configError, without.cause)
      assert.include(without.message, "@aws-sdk/client-apigatewaymanagementapi")
      // The same process with the package resolvable builds the layer: the hook is what took the SDK away.
      assert.deepStrictEqual(yield* buildSdkLayerInChild([]), { built: true })
    })
  )

  it.scoped("layer normalises the endpoint and resolves the region", () =>
    Effect.gen(function* () {
      const streamer = yield* Streamer.make({ endpoint: "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod/" })
      assert.strictEqual(streamer.endpoint, "https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
      assert.strictEqual(streamer.region, "eu-west-1")
    })
  )

  it.effect("a bad endpoint fails the layer with a ConfigError, not a later call", () =>
    Effect.gen(function* () {
      for (const endpoint of ["", "http://example.com/prod", "not a url", "ftp://x/y"]) {
        assert.isTrue(configError(yield* build(Streamer.layer({ endpoint }))), endpoint)
      }
    })
  )

  it.effect("bad options fail the layer with a ConfigError", () =>
    Effect.gen(function* () {
      const endpoint = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
      const bad: Array<Streamer.Options> = [
        { endpoint, timeout: 0 },
        { endpoint, timeout: "forever" as never },
        { endpoint, maxPayloadBytes: -1 },
        { endpoint, maxPayloadBytes: 1.5 },
        { endpoint, transport: "carrier-pigeon" as never },
        { endpoint, credentials: { accessKeyId: "", secretAccessKey: Redacted.make("x") } }
      ]
      for (const options of bad)
        assert.isTrue(configError(yield* build(Streamer.layer(options))), JSON.stringify(options))
      assert.isTrue(configError(yield* build(Streamer.layer(undefined as never))))
    })
  )

  it.effect("layerConfig reads options through Config", () =>
    Effect.gen(function* () {
      const layer = Streamer.layerConfig({
        endpoint: Config.string("WEBSOCKET_ENDPOINT"),
        region: Config.string("PUSH_REGION"),
        credentials: Config.all({
          accessKeyId: Config.string("PUSH_KEY"),
          secretAccessKey: Config.redacted("PUSH_SECRET")
        }),
        timeout: Config.succeed("3 seconds")
      })
      const env = new Map([
        ["WEBSOCKET_ENDPOINT", "https://ws.example.com/prod"],
        ["PUSH_REGION", "ap-southeast-2"],
        ["PUSH_KEY", "AKIDEXAMPLE"],
        ["PUSH_SECRET", "shh"]
      ])
      const streamer = yield* Effect.scoped(
        Effect.provide(Streamer.Streamer, layer).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(env)))
      )
      assert.strictEqual(streamer.endpoint, "https://ws.example.com/prod")
      assert.strictEqual(streamer.region, "ap-southeast-2")
      const missing = yield* Effect.exit(
        Effect.scoped(Layer.build(layer)).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      )
      assert.isTrue(configError(missing))
    })
  )
})
