import * as ChildProcess from "node:child_process"
import type { ServerCommand, ServerMessage, ServerStats } from "../server.js"
import { childEnv, tlsCertFile, tlsKeyFile } from "./env.js"

/** The parent's handle on the loopback server process. */
export interface Loopback {
  readonly port: number
  /** `http://127.0.0.1:{port}/local`, the Management API endpoint every contender posts to. */
  readonly endpoint: string
  /** The same over https, with the certificate in `server.ts`'s `tlsCertFile` (the cold starts use it). */
  readonly tlsEndpoint: string
  /** Zeroes the counters (before each measured child). */
  readonly reset: () => Promise<void>
  readonly stats: () => Promise<ServerStats>
  readonly close: () => void
}

export const stage = "local"

/** Starts the built server (`server.mjs`) in its own process and waits until it listens. */
export const startLoopback = (serverFile: string): Promise<Loopback> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.spawn(process.execPath, [serverFile], {
      env: childEnv({ BENCH_TLS_CERT: tlsCertFile, BENCH_TLS_KEY: tlsKeyFile }),
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    let nextId = 0
    const pending = new Map<number, (stats: ServerStats) => void>()
    const ask = (type: ServerCommand["type"]) =>
      new Promise<ServerStats>((done) => {
        const id = nextId++
        pending.set(id, done)
        child.send({ id, type } satisfies ServerCommand)
      })
    child.once("exit", (code) => reject(new Error(`loopback server exited early (code ${code})`)))
    child.on("message", (message: ServerMessage) => {
      if (message.type === "ready") {
        resolve({
          port: message.port,
          endpoint: `http://127.0.0.1:${message.port}/${stage}`,
          tlsEndpoint: `https://127.0.0.1:${message.tlsPort}/${stage}`,
          reset: () => ask("reset").then(() => undefined),
          stats: () => ask("stats"),
          close: () => {
            child.removeAllListeners("exit")
            child.kill()
          }
        })
      } else {
        pending.get(message.id)?.(message.stats)
        pending.delete(message.id)
      }
    })
  })
