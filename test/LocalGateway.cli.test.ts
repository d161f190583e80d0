import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { tsxLoader } from "./helpers/child.js"
import * as WsClient from "./helpers/wsClient.js"

const root = join(import.meta.dirname, "..")
const cli = join(root, "src", "bin", "effect-streamer-local.ts")

interface Run {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Effect.Effect<number | null>
  readonly waitForOutput: (pattern: RegExp) => Effect.Effect<RegExpExecArray>
}

/** Runs the CLI through tsx's loader in a plain node process (so that signals reach it directly). */
const run = (args: ReadonlyArray<string>, cwd?: string) =>
  Effect.acquireRelease(
    Effect.sync((): Run => {
      const child = spawn(process.execPath, ["--import", tsxLoader, cli, ...args], {
        cwd: cwd ?? process.cwd(),
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NODE_NO_WARNINGS: "1" }
      })
      let output = ""
      child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")))
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return {
        child,
        output: () => output,
        exited: Effect.promise(() => exit),
        waitForOutput: (pattern) =>
          Effect.gen(function* () {
            for (;;) {
              const match = pattern.exec(output)
              if (match) return match
              if (child.exitCode !== null) return yield* Effect.dieMessage(`exited ${child.exitCode}: ${output}`)
              yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
            }
          })
      }
    }),
    (r) => Effect.sync(() => r.child.exitCode === null && r.child.kill("SIGKILL"))
  )

describe("effect-streamer-local", () => {
  it.scopedLive("--help prints the usage and exits 0; an unknown flag or a bad value exits 2", () =>
    Effect.gen(function* () {
      const [help, unknown, bad] = yield* Effect.all([run(["--help"]), run(["--bogus"]), run(["--throttle", "lots"])])
      const codes = yield* Effect.all([help.exited, unknown.exited, bad.exited], { concurrency: "unbounded" })
      assert.deepStrictEqual(codes, [0, 2, 2])
      for (const flag of ["--port", "--handler", "--throttle", "--access-key-id", "--idle-timeout", "--seed"]) {
        assert.include(help.output(), flag)
      }
      assert.include(unknown.output(), "--bogus")
      assert.include(bad.output(), "--throttle")
    })
  )

  it.scopedLive("serves clients and the Management API; exits 0 on SIGINT and SIGTERM, 1 when the port is taken", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "effect-streamer-local-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      writeFileSync(
        join(dir, "handler.mjs"),
        [
          'export const routes = ["echo"]',
          "export const handler = async (event) =>",
          '  event.requestContext.routeKey === "echo" ? { statusCode: 200, body: "echo:" + event.body } : { statusCode: 200 }'
        ].join("\n")
      )
      const args = ["--port", "0", "--stage", "dev", "--handler", "./handler.mjs", "--seed", "1"]
      const credentials = ["--access-key-id", "AKIDCLI", "--secret-access-key", "cli-secret-value"]
      const [a, b] = yield* Effect.all([run([...args, ...credentials], dir), run(["--port", "0", "--quiet"])])
      const [[, port], [, otherPort]] = yield* Effect.all(
        [
          a.waitForOutput(/WebSocket URL:\s+ws:\/\/127\.0\.0\.1:(\d+)\/dev/),
          b.waitForOutput(/WebSocket URL:\s+ws:\/\/127\.0\.0\.1:(\d+)\/local/)
        ],
        { concurrency: "unbounded" }
      )
      const taken = yield* run(["--port", port!])
      assert.include(a.output(), `http://127.0.0.1:${port}/dev`)
      assert.include(a.output(), "./handler.mjs")
      assert.match(a.output(), /Routes:\s+echo/)
      assert.match(a.output(), /Signatures:\s+strict/)
      assert.notInclude(a.output(), "cli-secret-value")

      const client = yield* WsClient.connect(`ws://127.0.0.1:${port}/dev`)
      yield* client.send('{"action":"echo"}')
      assert.strictEqual((yield* client.waitFor(1))[0]!.text, 'echo:{"action":"echo"}')
      yield* a.waitForOutput(new RegExp(`connect ${client.connectionId.replace(/[-=]/g, "\\$&")} from 127\\.0\\.0\\.1`))
      yield* a.waitForOutput(/route echo /)
      const unsigned = yield* WsClient.request(`http://127.0.0.1:${port}`, {
        method: "POST",
        path: `/dev/@connections/${encodeURIComponent(client.connectionId)}`,
        body: "x"
      })
      assert.strictEqual(unsigned.status, 403)

      const quiet = yield* WsClient.connect(`ws://127.0.0.1:${otherPort}/local`)
      const posted = yield* WsClient.request(`http://127.0.0.1:${otherPort}`, {
        method: "POST",
        path: `/local/@connections/${encodeURIComponent(quiet.connectionId)}`,
        body: "unsigned is fine here"
      })
      assert.strictEqual(posted.status, 200)
      assert.notInclude(b.output(), quiet.connectionId)

      assert.strictEqual(yield* taken.exited, 1)
      assert.include(taken.output(), "EADDRINUSE")
      a.child.kill("SIGINT")
      b.child.kill("SIGTERM")
      assert.deepStrictEqual(yield* Effect.all([a.exited, b.exited], { concurrency: "unbounded" }), [0, 0])
      assert.strictEqual((yield* client.closed).code, 1001)
      assert.strictEqual((yield* quiet.closed).code, 1001)
    })
  )
})
