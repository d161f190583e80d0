#!/usr/bin/env node
/**
 * `effect-streamer-local`: starts the local API Gateway from a shell. Flags are parsed here, before anything heavy is
 * loaded, so that `--help` and usage errors answer at once.
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"

const usage = `Usage: effect-streamer-local [options]

A local API Gateway for WebSocket APIs: WebSocket clients connect to ws://{host}:{port}/{stage}, the
Management API answers at http://{host}:{port}/{stage}/@connections/{id}.

Options:
  --port <n>                 port to listen on, 0 for any free port (default 3001)
  --host <host>              address to bind (default 127.0.0.1)
  --stage <name>             stage name (default local)
  --handler <module>         module exporting a Lambda-style \`handler\`, resolved from the current directory
                             (.js/.mjs; run the CLI through tsx for a .ts module)
  --routes <a,b,...>         custom route keys the handler serves (default: the module's \`routes\` export, if
                             any; without routes, any string body.action is a route key)
  --region <region>          signing region expected (default us-east-1)
  --access-key-id <id>       with --secret-access-key: require SigV4 signatures for these credentials
  --secret-access-key <key>
  --idle-timeout <duration>  close idle connections with 1001 (default 10m)
  --max-duration <duration>  close connections with 1001 after this long (default 2h)
  --throttle <fraction>      answer this fraction of management requests 429 with Retry-After
  --server-error <fraction>  answer this fraction 500/502/503
  --drop <fraction>          destroy the socket of this fraction without an answer
  --hang                     never answer a management request
  --hang-rate <fraction>     never answer this fraction of management requests
  --latency <duration>       delay every management answer
  --retry-after <seconds>    Retry-After of throttled answers (default 1)
  --seed <n>                 seed of the fault generator, for replay
  --quiet                    no line per connection and per route invocation
  -h, --help                 show this help

Durations: 250ms, 30s, 10m, 2h, or Effect's forms ("5 seconds").
`

const options = {
  port: { type: "string" },
  host: { type: "string" },
  stage: { type: "string" },
  handler: { type: "string" },
  routes: { type: "string" },
  region: { type: "string" },
  "access-key-id": { type: "string" },
  "secret-access-key": { type: "string" },
  "idle-timeout": { type: "string" },
  "max-duration": { type: "string" },
  throttle: { type: "string" },
  "server-error": { type: "string" },
  drop: { type: "string" },
  hang: { type: "boolean" },
  "hang-rate": { type: "string" },
  latency: { type: "string" },
  "retry-after": { type: "string" },
  seed: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" }
} as const

const main = async (): Promise<void> => {
  let values
  try {
    values = parseArgs({ options, strict: true, allowPositionals: false }).values
  } catch (error) {
    process.stderr.write(
      `effect-streamer-local: ${error instanceof Error ? error.message : String(error)}\nRun with --help for usage.\n`
    )
    process.exitCode = 2
    return
  }
  if (values.help) {
    process.stdout.write(usage)
    return
  }
  const { help: _, ...rest } = values
  const { run } = await import("../internal/gateway/cli.js")
  await run(rest)
}

void main()
