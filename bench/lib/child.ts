import * as ChildProcess from "node:child_process"
import { childEnv } from "./env.js"

/** What a worker sends back over IPC when it is done. */
export type WorkerMessage<R> =
  | { readonly type: "result"; readonly result: R }
  | { readonly type: "skipped"; readonly reason: string }
  | { readonly type: "error"; readonly message: string }

export type WorkerOutcome<R> = WorkerMessage<R> | { readonly type: "timeout"; readonly afterMs: number }

/**
 * Runs a built worker (plain JS, no loader) in a fresh `node` process with the dummy AWS environment, passes it
 * `input` as JSON in argv, and resolves with its one IPC message. Killed (by its own pid) after `timeoutMs`. Its
 * stderr (such as the AWS SDK's Node-version warning) is kept for the error message, not printed.
 */
export const runWorker = <R>(file: string, input: unknown, timeoutMs: number): Promise<WorkerOutcome<R>> =>
  new Promise((resolve) => {
    const child = ChildProcess.spawn(process.execPath, [file, JSON.stringify(input)], {
      env: childEnv(),
      stdio: ["ignore", "inherit", "pipe", "ipc"]
    })
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString()
    })
    let message: WorkerMessage<R> | undefined
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("message", (m) => {
      message ??= m as WorkerMessage<R>
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (timedOut) resolve({ type: "timeout", afterMs: timeoutMs })
      else if (message) resolve(message)
      else
        resolve({
          type: "error",
          message: `worker exited (code ${code}, signal ${signal}) without a result\n${stderr}`
        })
    })
  })

/** Inside a worker: the JSON input the parent passed. */
export const workerInput = <I>(): I => JSON.parse(process.argv[2] ?? "{}") as I

/** Inside a worker: sends the one message, then exits (lingering keep-alive sockets must not keep it alive). */
export const reply = <R>(message: WorkerMessage<R>): void => {
  if (!process.send) {
    console.log(JSON.stringify(message))
    process.exit(0)
  }
  process.send(message, () => process.exit(0))
}

/** Inside a worker: runs `main`, replying with its result, a skip, or the error. */
export const runMain = <R>(main: () => Promise<R>): void => {
  main().then(
    (result) => reply({ type: "result", result }),
    (error: unknown) =>
      reply(
        error instanceof Skip
          ? { type: "skipped", reason: error.reason }
          : { type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }
      )
  )
}

/** Thrown by a contender that cannot run here (for instance a transport the library does not have yet). */
export class Skip extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** This process's peak resident set size so far, in MiB. */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024
