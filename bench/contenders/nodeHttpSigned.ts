/** (b) The signed ceiling: node:http keep-alive plus the minimal node:crypto SigV4 signer of `bench/sigv4.ts`, no Effect. */
import * as Http from "node:http"
import { connectionPath, request } from "../lib/httpPost.js"
import { promisePool } from "../lib/pool.js"
import { makeSigner } from "../sigv4.js"
import type { Contender } from "./types.js"

export const contender: Contender = {
  setup: async (target) => {
    const agent = new Http.Agent({ keepAlive: true })
    const sign = makeSigner({
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
      sessionToken: process.env.AWS_SESSION_TOKEN,
      region: target.region
    })
    const host = `127.0.0.1:${target.port}`
    const post = (id: string, data: Uint8Array) => {
      const path = connectionPath(target.stage, id)
      const headers: Http.OutgoingHttpHeaders = { ...sign("POST", host, path, data), "content-length": data.byteLength }
      return request(agent, { port: target.port, method: "POST", path }, headers, data)
    }
    return {
      postAll: (ids, data, concurrency) => promisePool(ids, concurrency, (id) => post(id, data)),
      close: async () => agent.destroy()
    }
  }
}
