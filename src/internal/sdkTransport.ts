import type * as Sdk from "@aws-sdk/client-apigatewaymanagementapi"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { ConnectionInfo } from "../ConnectionInfo.js"
import type { StreamerError } from "../StreamerError.js"
import * as Errors from "./errors.js"
import type { Config, Make, Transport } from "./transport.js"

interface SdkErrorLike {
  readonly name?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
  readonly $response?: { readonly headers?: Record<string, string | undefined> }
}

/** @internal Maps whatever the SDK threw into the library's errors, once. */
export const fromSdkError = (context: Errors.Context, error: unknown): StreamerError => {
  const e = (error ?? {}) as SdkErrorLike
  const status = e.$metadata?.httpStatusCode
  if (e.name === "CredentialsProviderError" || e.name === "ProviderError") {
    return Errors.credentials(context.connectionId, error)
  }
  if (status === undefined) return Errors.transport(context.connectionId, error)
  const headers = e.$response?.headers ?? {}
  const header = (name: string) => {
    for (const key in headers) if (key.toLowerCase() === name) return headers[key]
    return undefined
  }
  const name = e.name === "Unknown" || (e.name !== undefined && /^\d+$/.test(e.name)) ? undefined : e.name
  return Errors.fromAnswer(context, status, header("x-amzn-errortype") ?? name, header, Errors.sanitize(error))
}

/**
 * The SDK's package. The specifier is deliberately not a literal: bundlers then leave the SDK out of every bundle,
 * and it is loaded from `node_modules` (or the Lambda runtime, which ships it) only when `transport: "sdk"` is chosen.
 */
const sdkPackage: string = "@aws-sdk/client-apigatewaymanagementapi"

const loadSdk = Effect.tryPromise({
  try: () => import(sdkPackage) as Promise<typeof Sdk>,
  catch: () =>
    ConfigError.InvalidData(
      ["transport"],
      `transport "sdk" needs the package ${sdkPackage}, which could not be loaded; install it, or use transport "http"`
    )
})

/** @internal The AWS SDK v3 transport: one client per scope, `maxAttempts: 1`, aborted on interruption. */
export const make: Make = (config: Config) =>
  Effect.gen(function* () {
    const { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, PostToConnectionCommand } =
      yield* loadSdk
    const client = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new ApiGatewayManagementApiClient({
            endpoint: config.endpoint,
            region: config.region,
            maxAttempts: 1,
            ...(config.credentials
              ? {
                  credentials: {
                    accessKeyId: config.credentials.accessKeyId,
                    secretAccessKey: Redacted.value(config.credentials.secretAccessKey),
                    ...(config.credentials.sessionToken
                      ? { sessionToken: Redacted.value(config.credentials.sessionToken) }
                      : {})
                  }
                }
              : {})
          })
      ),
      (client) => Effect.sync(() => client.destroy())
    )
    const timeoutMs = Duration.toMillis(config.timeout)

    const call = <A>(
      context: Errors.Context,
      run: (abortSignal: AbortSignal) => Promise<A>
    ): Effect.Effect<A, StreamerError> =>
      Effect.async<A, StreamerError>((resume) => {
        const controller = new AbortController()
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          controller.abort()
        }, timeoutMs)
        run(controller.signal).then(
          (value) => {
            clearTimeout(timer)
            resume(Effect.succeed(value))
          },
          (error) => {
            clearTimeout(timer)
            resume(
              Effect.fail(
                timedOut ? Errors.timeout(context.connectionId, config.timeout) : fromSdkError(context, error)
              )
            )
          }
        )
        return Effect.sync(() => {
          clearTimeout(timer)
          controller.abort()
        })
      })

    const transport: Transport = {
      post: (connectionId, data) =>
        Effect.asVoid(
          call({ connectionId, payloadSize: data.byteLength, maxSize: config.maxPayloadBytes }, (abortSignal) =>
            client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }), { abortSignal })
          )
        ),
      get: (connectionId) =>
        Effect.map(
          call({ connectionId, maxSize: config.maxPayloadBytes }, (abortSignal) =>
            client.send(new GetConnectionCommand({ ConnectionId: connectionId }), { abortSignal })
          ),
          (out) =>
            new ConnectionInfo({
              connectionId,
              connectedAt: out.ConnectedAt,
              lastActiveAt: out.LastActiveAt,
              sourceIp: out.Identity?.SourceIp,
              userAgent: out.Identity?.UserAgent
            })
        ),
      delete: (connectionId) =>
        Effect.asVoid(
          call({ connectionId, maxSize: config.maxPayloadBytes }, (abortSignal) =>
            client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }), { abortSignal })
          )
        )
    }
    return transport
  })
