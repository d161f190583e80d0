import type { Outcome } from "../lib/pool.js"

/** Where the contenders post: the loopback server. */
export interface Target {
  /** `http://127.0.0.1:{port}/{stage}` */
  readonly endpoint: string
  readonly port: number
  readonly stage: string
  readonly region: string
}

/** A client, built and ready (untimed), that posts `data` to every id with at most `concurrency` in flight. */
export interface Client {
  readonly postAll: (ids: ReadonlyArray<string>, data: Uint8Array, concurrency: number) => Promise<Outcome>
  readonly close: () => Promise<void>
}

/** One way to post to API Gateway connections. `setup` throws `Skip` when it cannot run here. */
export interface Contender {
  readonly setup: (target: Target) => Promise<Client>
}
