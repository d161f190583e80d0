/**
 * `npm run bench` (`-- --quick` for a ~20 s smoke run; `-- --only=throughput,coldstart,fanout` for some sections).
 * Everything is sent to a loopback server on 127.0.0.1 in its own process; every measured client runs in its own
 * fresh process with dummy AWS credentials. Prints the tables and writes them, with every raw run, as JSON under
 * bench/results/ (gitignored).
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { type ColdStartReport, runColdStart } from "./coldstart.js"
import { type FanoutReport, runFanout } from "./fanout.js"
import { buildWorker, srcFingerprint } from "./lib/build.js"
import { buildDir, resultsDir } from "./lib/env.js"
import { startLoopback } from "./lib/loopback.js"
import {
  coldStartTables,
  coldStartTargets,
  fanoutTables,
  type TargetCheck,
  targetTable,
  throughputTables
} from "./report.js"
import { checkSigner } from "./sigv4Check.js"
import { runThroughput, type ThroughputReport } from "./throughput.js"

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    rounds: { type: "string" }
  }
})
const quick = flags.quick === true
const sections = new Set((flags.only ?? "throughput,coldstart,fanout").split(",").map((s) => s.trim()))

const settings = {
  throughput: {
    rounds: flags.rounds !== undefined ? Number(flags.rounds) : quick ? 3 : 5,
    posts: quick ? 300 : 10_000,
    warmup: quick ? 50 : 1_000,
    concurrency: 50,
    payloadBytes: 100,
    timeoutMs: 120_000
  },
  coldStart: { runs: quick ? 1 : 10, timeoutMs: 30_000, split: !quick },
  fanout: { count: quick ? 500 : 100_000, smallCount: quick ? 100 : 10_000, goneEvery: 10, timeoutMs: 420_000 }
}

const git = (...args: Array<string>): string => {
  try {
    return ChildProcess.execFileSync("git", args, { encoding: "utf8" }).trim()
  } catch {
    return ""
  }
}

const machine = () => ({
  node: process.version,
  cpus: Os.cpus().length,
  cpuModel: Os.cpus()[0]?.model ?? "?",
  loadAverage: Os.loadavg().map((n) => Number(n.toFixed(2)))
})

const log = (line: string) => console.log(line)

const main = async () => {
  const started = Date.now()
  const before = machine()
  const commit = git("rev-parse", "--short", "HEAD")
  const srcChanges = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length
  log(
    `effect-streamer bench${quick ? " --quick" : ""}: node ${before.node}, ${before.cpus} CPUs (${before.cpuModel}), ` +
      `load ${before.loadAverage.join(" ")}, commit ${commit}${srcChanges ? ` + ${srcChanges} uncommitted files in src/` : ""}`
  )

  await checkSigner()
  log("bench/sigv4.ts matches @smithy/signature-v4")

  const server = await buildWorker("server.ts", Path.join(buildDir, "server.mjs"))
  if (!server.ok) throw new Error(`the loopback server does not build: ${server.error}`)
  const loopback = await startLoopback(server.file)
  log(`loopback server on ${loopback.endpoint}`)

  let throughput: ThroughputReport | undefined
  let coldStart: ColdStartReport | undefined
  let fanout: FanoutReport | undefined
  // Each section bundles src/ as it is when the section starts.
  const srcBuilt: Record<string, string> = {}
  const section = (name: string) => {
    srcBuilt[name] = srcFingerprint()
    log(`\n${name} (src/ ${srcBuilt[name]}, ${Math.round((Date.now() - started) / 1000)} s into the run)`)
  }
  try {
    if (sections.has("throughput")) {
      section("throughput")
      throughput = await runThroughput(loopback, settings.throughput, log)
    }
    if (sections.has("coldstart")) {
      section("cold start")
      coldStart = await runColdStart(loopback, settings.coldStart, log)
    }
    if (sections.has("fanout")) {
      section("fan-out")
      fanout = await runFanout(loopback, settings.fanout, log)
    }
  } finally {
    loopback.close()
  }

  const targets: Array<TargetCheck> = [
    ...(throughput?.ratios ?? []).flatMap((r) =>
      r.target ? [{ section: "throughput", name: r.name, value: r.median, target: r.target, verdict: r.verdict }] : []
    ),
    ...(coldStart ? coldStartTargets(coldStart) : []),
    ...(fanout?.ratios ?? []).map((r) => ({
      section: "fan-out",
      name: r.name,
      value: r.value,
      target: r.target,
      verdict: r.verdict
    }))
  ]
  const after = machine()
  const fingerprints = new Set(Object.values(srcBuilt))
  const srcNote =
    fingerprints.size > 1
      ? `WARNING: src/ changed during the run, so sections measured different code (${Object.entries(srcBuilt)
          .map(([name, hash]) => `${name}: ${hash}`)
          .join(", ")}). Run again for one consistent table.`
      : `src/ ${[...fingerprints][0] ?? "?"} for every section.`
  const seconds = Math.round((Date.now() - started) / 1000)
  const printed = [
    ...(throughput ? [throughputTables(throughput)] : []),
    ...(coldStart ? [coldStartTables(coldStart)] : []),
    ...(fanout ? [fanoutTables(fanout)] : []),
    `Targets\n\n${targetTable(targets)}`,
    `${quick ? "Quick smoke run (reduced counts): not a measurement. " : ""}` +
      `${seconds} s; load average before ${before.loadAverage.join(" ")}, after ${after.loadAverage.join(" ")}. ${srcNote}`
  ].join("\n\n")
  log(`\n${printed}`)

  Fs.mkdirSync(resultsDir, { recursive: true })
  const stamp = new Date(started).toISOString().replace(/[:.]/g, "-")
  const file = Path.join(resultsDir, `bench-${stamp}${quick ? "-quick" : ""}.json`)
  const json = JSON.stringify(
    {
      date: new Date(started).toISOString(),
      quick,
      commit,
      srcBuilt,
      srcChanges,
      machine: { before, after },
      seconds,
      settings,
      throughput,
      coldStart,
      fanout,
      targets
    },
    null,
    2
  )
  Fs.writeFileSync(file, json)
  Fs.writeFileSync(Path.join(resultsDir, quick ? "latest-quick.json" : "latest.json"), json)
  log(`\nwrote ${Path.relative(process.cwd(), file)}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
