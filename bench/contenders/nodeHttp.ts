/** (a) The unsigned ceiling: node:http with a keep-alive agent and nothing else. */
import * as Http from "node:http"
import { connectionPath, request } from "../lib/httpPost.js"
import { promisePool } from "../lib/pool.js"
import type { Contender } from "./types.js"

export const contender: Contender = {
  setup: async (target) => {
    const agent = new Http.Agent({ keepAlive: true })
    const post = (id: string, data: Uint8Array) =>
      request(
        agent,
        { port: target.port, method: "POST", path: connectionPath(target.stage, id) },
        { "content-length": data.byteLength },
        data
      )
    return {
      postAll: (ids, data, concurrency) => promisePool(ids, concurrency, (id) => post(id, data)),
      close: async () => agent.destroy()
    }
  }
}
