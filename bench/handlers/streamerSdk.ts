/** Cold start: a handler that posts once through Streamer with `transport: "sdk"`. */
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Streamer } from "../../src/index.js"

const runtime = ManagedRuntime.make(
  Streamer.layer({ endpoint: process.env.WEBSOCKET_ENDPOINT ?? "", transport: "sdk" })
)

export const handler = async () => {
  await runtime.runPromise(Streamer.postToConnection("L0SM9cOFvHcCIhw=", "hello"))
  return { statusCode: 200 }
}
