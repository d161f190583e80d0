import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as LocalGateway from "../../LocalGateway.js"

/** @internal The parsed flags of `effect-streamer-local`. */
export interface Values {
  readonly port?: string | undefined
  readonly host?: string | undefined
  readonly stage?: string | undefined
  readonly handler?: string | undefined
  readonly routes?: string | undefined
  readonly region?: string | undefined
  readonly "access-key-id"?: string | undefined
  readonly "secret-access-key"?: string | undefined
  readonly "idle-timeout"?: string | undefined
  readonly "max-duration"?: string | undefined
  readonly throttle?: string | undefined
  readonly "server-error"?: string | undefined
  readonly drop?: string | undefined
  readonly hang?: boolean | undefined
  readonly "hang-rate"?: string | undefined
  readonly latency?: string | undefined
  readonly "retry-after"?: string | undefined
  readonly seed?: string | undefined
  readonly quiet?: boolean | undefined
}

class UsageError extends Error {}

const parseDuration = (flag: string, text: string | undefined): Duration.Duration | undefined => {
  if (text === undefined) return undefined
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(text.trim())
  if (short !== null) {
    const n = Number(short[1])
    const unit = short[2]
    return unit === "ms"
      ? Duration.millis(n)
      : unit === "s"
        ? Duration.seconds(n)
        : unit === "m"
          ? Duration.minutes(n)
          : Duration.hours(n)
  }
  const decoded = Duration.decodeUnknown(text)
  if (Option.isNone(decoded)) throw new UsageError(`--${flag}: not a duration: ${text}`)
  return decoded.value
}

const parseNumber = (flag: string, text: string | undefined, integer = false): number | undefined => {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: not ${integer ? "an integer" : "a number"}: ${text}`)
  }
  return n
}

interface Loaded {
  readonly handler: LocalGateway.Handler | undefined
  readonly routes: ReadonlyArray<string> | undefined
}

const loadHandler = async (path: string | undefined): Promise<Loaded> => {
  if (path === undefined) return { handler: undefined, routes: undefined }
  const url = pathToFileURL(resolve(process.cwd(), path)).href
  const mod = (await import(url)) as Record<string, unknown>
  const fallback = mod["default"] as Record<string, unknown> | ((...args: Array<unknown>) => unknown) | undefined
  const handler =
    mod["handler"] ??
    (typeof fallback === "function" ? fallback : typeof fallback === "object" ? fallback?.["handler"] : undefined)
  if (typeof handler !== "function") throw new UsageError(`--handler: ${path} exports no \`handler\` function`)
  const isRouteList = (u: unknown): u is ReadonlyArray<string> =>
    Array.isArray(u) && u.every((r): r is string => typeof r === "string")
  const exported = mod["routes"]
  const declared = (handler as { readonly routeKeys?: unknown }).routeKeys
  return {
    handler: handler as LocalGateway.Handler,
    routes: isRouteList(exported)
      ? exported
      : isRouteList(declared)
        ? declared.filter((k) => !k.startsWith("$"))
        : undefined
  }
}

const toOptions = (values: Values, loaded: Loaded): LocalGateway.Options => {
  const accessKeyId = values["access-key-id"]
  const secretAccessKey = values["secret-access-key"]
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new UsageError("--access-key-id and --secret-access-key go together")
  }
  const routes =
    values.routes
      ?.split(",")
      .map((r) => r.trim())
      .filter((r) => r.length > 0) ?? loaded.routes
  const hangRate = parseNumber("hang-rate", values["hang-rate"])
  return {
    port: parseNumber("port", values.port, true) ?? 3001,
    host: values.host,
    stage: values.stage,
    region: values.region,
    handler: loaded.handler,
    routes,
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
    idleTimeout: parseDuration("idle-timeout", values["idle-timeout"]),
    maxDuration: parseDuration("max-duration", values["max-duration"]),
    faults: {
      throttle: parseNumber("throttle", values.throttle),
      serverError: parseNumber("server-error", values["server-error"]),
      drop: parseNumber("drop", values.drop),
      hang: values.hang === true ? true : hangRate,
      latency: parseDuration("latency", values.latency),
      retryAfterSeconds: parseNumber("retry-after", values["retry-after"], true),
      seed: parseNumber("seed", values.seed, true)
    }
  }
}

const describeFaults = (faults: LocalGateway.Faults): string => {
  const parts = Object.entries(faults)
    .filter(([, v]) => v !== undefined && v !== 0 && v !== false)
    .map(([k, v]) => `${k}=${Duration.isDuration(v) ? Duration.format(v) : String(v)}`)
  return parts.length > 0 ? parts.join(" ") : "none"
}

const cliLogger = Logger.make(({ cause, date, logLevel, message }) => {
  const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
  const line = `${date.toISOString()} ${text}`
  const write = LogLevel.greaterThanEqual(logLevel, LogLevel.Warning) ? console.error : console.log
  write(Cause.isEmpty(cause) ? line : `${line}\n${Cause.pretty(cause)}`)
})

/**
 * @internal
 * The handler runs in this process, as Lambda runs it with the function's environment: it signs its posts with the
 * gateway's credentials when they are strict, else with placeholders (the gateway does not check them), and never
 * reaches for a real credential chain. Variables already set are kept.
 */
const lambdaEnvironment = (values: Values): void => {
  const env = process.env
  const accessKeyId = values["access-key-id"]
  const secretAccessKey = values["secret-access-key"]
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    env.AWS_ACCESS_KEY_ID = accessKeyId
    env.AWS_SECRET_ACCESS_KEY = secretAccessKey
  } else if (env.AWS_ACCESS_KEY_ID === undefined || env.AWS_SECRET_ACCESS_KEY === undefined) {
    env.AWS_ACCESS_KEY_ID = "AKIDLOCALGATEWAY"
    env.AWS_SECRET_ACCESS_KEY = "local-gateway-placeholder"
  }
  env.AWS_REGION ??= values.region ?? "us-east-1"
  env.AWS_EC2_METADATA_DISABLED ??= "true"
}

/** @internal Runs the gateway until SIGINT or SIGTERM (exit 0); exits 2 on a usage error, 1 when it cannot start. */
export const run = async (values: Values): Promise<void> => {
  let gatewayOptions: LocalGateway.Options
  try {
    if (values.handler !== undefined) lambdaEnvironment(values)
    const loaded = await loadHandler(values.handler)
    gatewayOptions = toOptions(values, loaded)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const hint = error instanceof UsageError ? "Run with --help for usage.\n" : ""
    process.stderr.write(`effect-streamer-local: ${message}\n${hint}`)
    process.exitCode = 2
    return
  }

  const program = Effect.gen(function* () {
    const gateway = yield* LocalGateway.make(gatewayOptions)
    const routes = gatewayOptions.routes
    const signatures = gatewayOptions.credentials
      ? `strict (access key ${gatewayOptions.credentials.accessKeyId}, region ${gateway.region})`
      : "not checked"
    const lines = [
      `effect-streamer-local listening`,
      `  WebSocket URL:       ${gateway.wsUrl}`,
      `  Management API:      ${gateway.endpoint}/@connections/{connectionId}`,
      `  Streamer endpoint:   ${gateway.endpoint}`,
      `  Handler:             ${values.handler ?? "none (every $connect accepted, messages dropped)"}`,
      ...(values.handler !== undefined
        ? [
            `  Routes:              ${routes === undefined ? "any body.action, else $default" : routes.length > 0 ? `${routes.join(", ")}, else $default` : "$default only"}`
          ]
        : []),
      `  Signatures:          ${signatures}`,
      `  Faults:              ${describeFaults(gatewayOptions.faults ?? {})}`
    ]
    process.stdout.write(`${lines.join("\n")}\n`)
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Logger.withMinimumLogLevel(values.quiet ? LogLevel.Info : LogLevel.Debug),
    Effect.provide(Logger.replace(Logger.defaultLogger, cliLogger))
  )

  const fiber = Effect.runFork(program)
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return process.exit(1)
    stopping = true
    process.stdout.write(`${signal}: closing\n`)
    void Effect.runPromise(Fiber.interrupt(fiber)).then(() => process.exit(0))
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  fiber.addObserver((exit) => {
    if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) {
      const failure = Cause.failureOption(exit.cause)
      process.stderr.write(
        `effect-streamer-local: ${Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause)}\n`
      )
      process.exit(1)
    }
  })
}
