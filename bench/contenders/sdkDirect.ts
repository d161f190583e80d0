/** (c) The AWS SDK v3 client used directly: `maxAttempts: 1`, a Promise pool. */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi"
import { promisePool } from "../lib/pool.js"
import type { Contender } from "./types.js"

export const contender: Contender = {
  setup: async (target) => {
    const client = new ApiGatewayManagementApiClient({
      endpoint: target.endpoint,
      region: target.region,
      maxAttempts: 1
    })
    return {
      postAll: (ids, data, concurrency) =>
        promisePool(ids, concurrency, (id) =>
          client.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))
        ),
      close: async () => client.destroy()
    }
  }
}
