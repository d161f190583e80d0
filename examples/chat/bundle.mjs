#!/usr/bin/env node
/**
 * Bundles the chat handler for AWS Lambda (Node.js 20 or later, ESM) into dist/handler.mjs and prints its size.
 *
 *   node examples/chat/bundle.mjs
 *
 * The AWS SDK is never in the bundle: the library loads it by a name the bundler cannot resolve, only on the paths
 * that need it (the "sdk" transport, or the default credential chain when no keys are in the environment), from the
 * Lambda Node.js runtime, which ships it.
 *
 * Upload dist/handler.mjs (zipped) with the handler setting `handler.handler`.
 */
import * as esbuild from "esbuild"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const here = dirname(fileURLToPath(import.meta.url))
const outfile = join(here, "dist", "handler.mjs")
mkdirSync(dirname(outfile), { recursive: true })

const result = await esbuild.build({
  entryPoints: [join(here, "handler.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  metafile: true,
  // Nothing imports these statically; should that change, the Lambda runtime's copy is the one to use.
  external: ["@aws-sdk/*", "@smithy/*"],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";const require=__createRequire(import.meta.url);'
  },
  logLevel: "warning"
})
writeFileSync(join(here, "dist", "meta.json"), JSON.stringify(result.metafile))

const bytes = readFileSync(outfile)
const gzipped = gzipSync(bytes, { level: 9 })
const kb = (n) => `${(n / 1024).toFixed(1)} KB`

// Where the bytes come from, by package (or by directory of this repository).
const inputs = result.metafile.outputs[relative(process.cwd(), outfile)]?.inputs ?? {}
const byPackage = new Map()
for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
  const match = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  const key = match ? match[1] : path.startsWith("src/") ? "effect-streamer (src)" : dirname(path)
  byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput)
}
// The local gateway (and its WebSocket server) must stay out of a Lambda bundle.
const forbidden = Object.keys(inputs).filter((path) =>
  /node_modules\/ws\/|src\/LocalGateway|src\/local\.ts|src\/internal\/gateway\//.test(path)
)

console.log(relative(process.cwd(), outfile))
console.log(`  minified ${kb(bytes.length)}, gzipped ${kb(gzipped.length)}`)
for (const [key, size] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
  console.log(`  ${kb(size).padStart(9)}  ${key}`)
}
if (forbidden.length > 0) {
  console.error(`the bundle must not contain the local gateway or ws: ${forbidden.join(", ")}`)
  process.exit(1)
}
