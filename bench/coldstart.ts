/**
 * Cold start (issue 4): one Lambda-style handler per contender, bundled by esbuild (minified ESM for Node 20), started
 * as a fresh `node` process that imports it, invokes it once (one post to the loopback server) and exits. The wall
 * time from spawn to exit, median over the runs, and each bundle's size, minified and gzipped.
 *
 * Each handler is bundled twice: one file (`bundle: true`, where esbuild inlines every dynamic import), and with
 * `splitting: true` (dynamic imports become chunks loaded only when reached). For a split bundle the sizes are the
 * entry chunk, every chunk, and the chunks that one invocation actually loaded. An untimed tracing run also records
 * what an invocation loads from outside the bundle (a dependency the bundle leaves external, such as a package loaded
 * by `import(variable)`): ES modules through a loader hook, CommonJS through `require.cache`.
 */
import * as ChildProcess from "node:child_process"
import * as Esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import * as Zlib from "node:zlib"
import { benchDir, nodeBundle, repoDir } from "./lib/build.js"
import { buildDir, childEnv, tlsCertFile } from "./lib/env.js"
import type { Loopback } from "./lib/loopback.js"
import { median } from "./stats.js"

export interface ColdStartOptions {
  readonly runs: number
  readonly timeoutMs: number
  /** Also bundle each handler with `splitting: true` (the quick run leaves this out). */
  readonly split: boolean
}

interface HandlerSpec {
  readonly key: string
  readonly label: string
  readonly file: string
  /** Posts the handler makes per invocation. */
  readonly posts: number
}

const handlers: ReadonlyArray<HandlerSpec> = [
  { key: "empty", label: "empty handler (node baseline)", file: "handlers/empty.ts", posts: 0 },
  { key: "sdk-direct", label: "AWS SDK v3 direct", file: "handlers/sdkDirect.ts", posts: 1 },
  { key: "aws-lite", label: "@aws-lite/apigatewaymanagementapi", file: "handlers/awsLite.ts", posts: 1 },
  { key: "streamer-default", label: "Streamer.layer({ endpoint })", file: "handlers/streamerDefault.ts", posts: 1 },
  { key: "streamer-sdk", label: 'Streamer.layer({ transport: "sdk" })', file: "handlers/streamerSdk.ts", posts: 1 }
]

export interface Size {
  readonly bytes: number
  readonly gzipBytes: number
}

export interface BundleReport {
  readonly key: string
  readonly label: string
  readonly split: boolean
  /** The entry file (everything, for a single-file bundle). */
  readonly entry: Size
  /** Every output file. */
  readonly total: Size
  /** The bundle's files one invocation loaded, traced. */
  readonly loaded: Size & { readonly files: number }
  /** Minified bytes of what one invocation loaded from the bundle, by package (`src`: the library), largest first. */
  readonly loadedByPackage: Array<{ readonly name: string; readonly bytes: number }>
  /** Files one invocation loaded from outside the bundle (node_modules), as they are on disk (not minified). */
  readonly external: Size & { readonly files: number; readonly packages: Array<string> }
  readonly runsMs: Array<number>
  readonly medianMs: number
  /** Inside the process: importing the bundle (evaluating its modules), then the first invocation (one post). */
  readonly importMs: Array<number>
  readonly invokeMs: Array<number>
  readonly medianImportMs: number
  readonly medianInvokeMs: number
  readonly notes: Array<string>
}

export interface ColdStartReport {
  readonly options: ColdStartOptions
  readonly bundles: Array<BundleReport>
}

const sizeOf = (files: ReadonlyArray<string>): Size => {
  let bytes = 0
  let gzipBytes = 0
  for (const file of files) {
    const content = Fs.readFileSync(file)
    bytes += content.byteLength
    gzipBytes += Zlib.gzipSync(content, { level: 9 }).byteLength
  }
  return { bytes, gzipBytes }
}

/**
 * Imports the handler given in argv, invokes it once, exits: what a Lambda cold start does, minus Lambda. Prints how
 * long the import and the invocation took, to split the wall time.
 */
const invokeSource = `import { pathToFileURL } from "node:url"
const start = performance.now()
const { handler } = await import(pathToFileURL(process.argv[2]).href)
const imported = performance.now()
await handler({}, {})
const invoked = performance.now()
process.stdout.write(JSON.stringify({ importMs: imported - start, invokeMs: invoked - imported }))
process.exit(0)
`

/**
 * The untimed tracing run: the same, with a loader hook (`trace-hooks.mjs`) recording every ES module, then every
 * CommonJS module in `require.cache`, one file URL a line in `BENCH_TRACE_FILE`.
 */
const invokeTracedSource = `import { appendFileSync } from "node:fs"
import { createRequire, register } from "node:module"
import { pathToFileURL } from "node:url"
register("./trace-hooks.mjs", import.meta.url)
const { handler } = await import(pathToFileURL(process.argv[2]).href)
await handler({}, {})
const cjs = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href)
appendFileSync(process.env.BENCH_TRACE_FILE, cjs.map((url) => url + "\\n").join(""))
process.exit(0)
`
const traceHooksSource = `import { appendFileSync } from "node:fs"
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(process.env.BENCH_TRACE_FILE, url + "\\n")
  return next(url, context)
}
`

/** The files a traced run loaded, split into the bundle's own and the rest (the bench's invoke scripts left out). */
const tracedFiles = (traceFile: string, outdir: string) => {
  const urls = Fs.existsSync(traceFile) ? Fs.readFileSync(traceFile, "utf8").split("\n") : []
  const files = [...new Set(urls.filter((url) => url.startsWith("file:")).map((url) => Url.fileURLToPath(url)))]
  return {
    bundle: files.filter((file) => file.startsWith(outdir + Path.sep)),
    external: files.filter((file) => !file.startsWith(Path.dirname(outdir) + Path.sep))
  }
}

/** `node_modules/@scope/name/...` -> `@scope/name`; the library's own files -> `src`. */
const packageOf = (input: string): string =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? (input.includes("src/") ? "src" : input)

/** Effect split into the parts a handler may or may not need, to show what its weight is made of. */
const effectPart = (input: string): string => {
  const module = /node_modules\/effect\/dist\/esm\/(.*)$/.exec(input)?.[1]
  if (module === undefined) return packageOf(input)
  if (/Schema|ParseResult|schema\//.test(module)) return "effect (Schema)"
  if (/stream|channel|sink|take|queue|pubsub|groupBy|mailbox/i.test(module))
    return "effect (Stream, Sink, Queue, PubSub)"
  return "effect (core)"
}

/** Minified bytes by package in `files`, from esbuild's metafile. */
const composition = (metafile: Esbuild.Metafile, files: ReadonlyArray<string>) => {
  const bytes = new Map<string, number>()
  for (const [output, info] of Object.entries(metafile.outputs)) {
    if (!files.includes(Path.resolve(repoDir, output))) continue
    for (const [input, { bytesInOutput }] of Object.entries(info.inputs)) {
      const name = effectPart(input)
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput)
    }
  }
  return [...bytes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes)
}

const build = async (spec: HandlerSpec, split: boolean) => {
  const outdir = Path.join(buildDir, "coldstart", `${spec.key}${split ? "-split" : ""}`)
  Fs.rmSync(outdir, { recursive: true, force: true })
  const { metafile } = await Esbuild.build({
    ...nodeBundle,
    entryPoints: { handler: Path.join(benchDir, spec.file) },
    outdir,
    outExtension: { ".js": ".mjs" },
    minify: true,
    splitting: split,
    chunkNames: "chunk-[hash]",
    metafile: true,
    absWorkingDir: repoDir
  })
  return { outdir, entry: Path.join(outdir, "handler.mjs"), metafile }
}

interface Spawned {
  readonly ms: number
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const spawnNode = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Spawned> =>
  new Promise((resolve) => {
    const start = performance.now()
    const child = ChildProcess.spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("exit", (code) => {
      const ms = performance.now() - start
      clearTimeout(timer)
      resolve({ ms, code, stdout, stderr })
    })
  })

export const runColdStart = async (
  loopback: Loopback,
  options: ColdStartOptions,
  log: (line: string) => void
): Promise<ColdStartReport> => {
  const dir = Path.join(buildDir, "coldstart")
  Fs.mkdirSync(dir, { recursive: true })
  const invoke = Path.join(dir, "invoke.mjs")
  const invokeTraced = Path.join(dir, "invoke-traced.mjs")
  Fs.writeFileSync(invoke, invokeSource)
  Fs.writeFileSync(invokeTraced, invokeTracedSource)
  Fs.writeFileSync(Path.join(dir, "trace-hooks.mjs"), traceHooksSource)
  // Over https, as every real endpoint is: the handlers pay for TLS (loading it, and a handshake) as in Lambda.
  const env = childEnv({ WEBSOCKET_ENDPOINT: loopback.tlsEndpoint, NODE_EXTRA_CA_CERTS: tlsCertFile })

  const variants: Array<{ spec: HandlerSpec; report: BundleReport; entry: string }> = []
  for (const spec of handlers) {
    for (const split of options.split ? [false, true] : [false]) {
      const { entry, metafile, outdir } = await build(spec, split)
      const files = Fs.readdirSync(outdir).map((name) => Path.join(outdir, name))
      // Untimed first run: warms the file cache and records which files an invocation loads.
      const traceFile = `${outdir}.trace`
      Fs.rmSync(traceFile, { force: true })
      const traced = await spawnNode([invokeTraced, entry], { ...env, BENCH_TRACE_FILE: traceFile }, options.timeoutMs)
      const notes: Array<string> = []
      if (traced.code !== 0) notes.push(`traced run failed (exit ${traced.code}): ${traced.stderr.split("\n")[0]}`)
      const loaded = tracedFiles(traceFile, outdir)
      variants.push({
        spec,
        entry,
        report: {
          key: spec.key,
          label: spec.label,
          split,
          entry: sizeOf([entry]),
          total: sizeOf(files),
          loaded: { ...sizeOf(loaded.bundle), files: loaded.bundle.length },
          loadedByPackage: composition(metafile, loaded.bundle),
          external: {
            ...sizeOf(loaded.external),
            files: loaded.external.length,
            packages: [...new Set(loaded.external.map(packageOf))]
          },
          runsMs: [],
          medianMs: Number.NaN,
          importMs: [],
          invokeMs: [],
          medianImportMs: Number.NaN,
          medianInvokeMs: Number.NaN,
          notes
        }
      })
    }
  }

  for (let run = 0; run < options.runs; run++) {
    for (let i = 0; i < variants.length; i++) {
      const { entry, report, spec } = variants[(i + run) % variants.length]!
      await loopback.reset()
      const result = await spawnNode([invoke, entry], env, options.timeoutMs)
      const server = await loopback.stats()
      if (result.code !== 0) {
        report.notes.push(`run ${run + 1}: exit ${result.code}: ${result.stderr.split("\n")[0]}`)
      } else if (server.requests !== spec.posts) {
        report.notes.push(`run ${run + 1}: the server saw ${server.requests} requests, expected ${spec.posts}`)
      } else {
        const split = JSON.parse(result.stdout) as { importMs: number; invokeMs: number }
        report.runsMs.push(result.ms)
        report.importMs.push(split.importMs)
        report.invokeMs.push(split.invokeMs)
      }
    }
    log(`  cold start run ${run + 1}/${options.runs}`)
  }
  return {
    options,
    bundles: variants.map(({ report }) => ({
      ...report,
      medianMs: median(report.runsMs),
      medianImportMs: median(report.importMs),
      medianInvokeMs: median(report.invokeMs)
    }))
  }
}
