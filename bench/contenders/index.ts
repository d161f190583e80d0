import * as Fs from "node:fs"
import * as Path from "node:path"
import { repoDir } from "../lib/build.js"

/** A throughput contender: what the table calls it and the glue that makes its worker bundle. */
export interface ContenderSpec {
  readonly key: string
  readonly label: string
  /** The worker's entry source, or why it cannot be built here. */
  readonly entry: () => { readonly source: string } | { readonly skip: string }
}

/** A worker entry: `imports`, then the contender handed to the throughput worker. */
const glue = (imports: ReadonlyArray<string>, contender: string) => ({
  source: [
    `import { runThroughputWorker } from "./workers/throughput.ts"`,
    ...imports,
    `runThroughputWorker(${contender})`
  ].join("\n")
})

const plain = (module: string) => glue([`import { contender } from "./contenders/${module}.ts"`], "contender")

export const httpTransportFile = Path.join(repoDir, "src", "internal", "httpTransport.ts")

export const contenders: ReadonlyArray<ContenderSpec> = [
  { key: "node-http", label: "node:http unsigned (ceiling)", entry: () => plain("nodeHttp") },
  { key: "node-http-signed", label: "node:http + SigV4 (signed ceiling)", entry: () => plain("nodeHttpSigned") },
  { key: "sdk-direct", label: "AWS SDK v3 direct", entry: () => plain("sdkDirect") },
  { key: "aws-lite", label: "@aws-lite/apigatewaymanagementapi", entry: () => plain("awsLite") },
  { key: "streamer-sdk", label: 'Streamer "sdk"', entry: () => plain("streamerSdk") },
  { key: "streamer-http", label: 'Streamer "http"', entry: () => plain("streamerHttp") },
  {
    key: "bare-http",
    label: '"http" transport without the service',
    entry: () =>
      Fs.existsSync(httpTransportFile)
        ? glue(
            [
              `import { make } from "../src/internal/httpTransport.ts"`,
              `import { bareTransportContender } from "./contenders/bareTransport.ts"`
            ],
            "bareTransportContender(make)"
          )
        : { skip: "src/internal/httpTransport.ts does not exist yet" }
  }
]
