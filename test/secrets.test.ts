/**
 * No secret leaks: errors, logs and spans built while using a known secret key and session token never carry them,
 * nor a signature, on any transport.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as LocalGateway from "../src/LocalGateway.js"
import { type RecordedSpan, recordingTracer } from "./helpers/tracer.js"
import { connect } from "./helpers/wsClient.js"
import { transports } from "./helpers/transports.js"

const secret = "SENTINEL-secret-key-7f3a9c"
const token = "SENTINEL-session-token-b21e"
const forbidden = [secret, token, "Signature=", "AWS4-HMAC-SHA256 Credential"]

const text = (u: unknown): string => {
  try {
    return `${String(u)}\n${JSON.stringify(u)}\n${Inspectable.format(u)}`
  } catch {
    return String(u)
  }
}

for (const transport of transports) {
  describe(`secrets: ${transport.name}`, () => {
    it.scopedLive("never appear in errors, causes, logs or spans", () =>
      Effect.gen(function* () {
        const logs: Array<string> = []
        const spans: Array<RecordedSpan> = []
        const logger = Logger.make(({ annotations, cause, message }) => {
          logs.push(text(message), Cause.pretty(cause), text(Object.fromEntries(annotations)))
        })
        const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(
            Effect.withTracer(recordingTracer(spans)),
            Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
            Effect.provide(Layer.empty)
          )

        const strict = yield* LocalGateway.make({ credentials: { accessKeyId: "AKIDOTHER", secretAccessKey: "other" } })
        const hanging = yield* LocalGateway.make({ faults: { hang: true } })
        const client = yield* connect(strict.wsUrl)
        const credentials = {
          accessKeyId: "AKIDSENTINEL",
          secretAccessKey: Redacted.make(secret),
          sessionToken: Redacted.make(token)
        }
        const errors: Array<unknown> = []
        for (const [endpoint, timeout] of [
          [strict.endpoint, "5 seconds"],
          [hanging.endpoint, "100 millis"],
          ["http://127.0.0.1:9/closed", "2 seconds"]
        ] as const) {
          const service = yield* transport.make({
            endpoint,
            credentials,
            timeout,
            retry: { maxRetries: 1, base: "1 millis" }
          })
          for (const effect of [
            service.postToConnection(client.connectionId, "x"),
            service.getConnection(client.connectionId),
            service.deleteConnection(client.connectionId)
          ] as const) {
            const exit = yield* observed(
              (effect as Effect.Effect<unknown, unknown>).pipe(
                Effect.tapErrorCause((cause) => Effect.logError("operation failed", cause)),
                Effect.exit
              )
            )
            assert.isTrue(Exit.isFailure(exit))
            if (Exit.isFailure(exit)) {
              errors.push(Option.getOrUndefined(Cause.failureOption(exit.cause)))
              logs.push(Cause.pretty(exit.cause))
            }
          }
        }
        const tags = errors.map((e) => (e as { _tag?: string })?._tag)
        assert.includeMembers(tags, ["ForbiddenError", "RequestError"])
        const haystack = [
          ...errors.flatMap((e) => [text(e), text((e as { cause?: unknown })?.cause), (e as Error)?.stack ?? ""]),
          ...logs,
          text(spans),
          text(credentials)
        ].join("\n")
        assert.isAbove(spans.length, 0)
        assert.isAbove(logs.length, 0)
        for (const needle of forbidden) assert.notInclude(haystack, needle)
      })
    )
  })
}
