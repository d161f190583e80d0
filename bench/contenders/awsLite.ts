/**
 * (d) `@aws-lite/apigatewaymanagementapi` on `@aws-lite/client`: keep-alive, no retries (as `maxAttempts: 1`), the
 * endpoint passed as `ApiUrl` (an `http://` URL makes the plugin use plain HTTP and the URL's port).
 */
import awsLite from "@aws-lite/client"
import apiGatewayManagementApi from "@aws-lite/apigatewaymanagementapi"
import { promisePool } from "../lib/pool.js"
import type { Contender } from "./types.js"

/** The part of the client the plugin adds (its types live in a separate `-types` package). */
export interface AwsLiteApiGateway {
  readonly ApiGatewayManagementApi: {
    readonly PostToConnection: (input: {
      ConnectionId: string
      Data: Buffer | string
      ApiUrl: string
    }) => Promise<unknown>
  }
}

export const makeAwsLite = async (region: string): Promise<AwsLiteApiGateway> =>
  (await awsLite({
    region,
    keepAlive: true,
    retries: 0,
    plugins: [apiGatewayManagementApi]
  })) as unknown as AwsLiteApiGateway

export const contender: Contender = {
  setup: async (target) => {
    const aws = await makeAwsLite(target.region)
    return {
      postAll: (ids, data, concurrency) =>
        promisePool(ids, concurrency, (id) =>
          aws.ApiGatewayManagementApi.PostToConnection({
            ConnectionId: id,
            Data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
            ApiUrl: target.endpoint
          })
        ),
      close: async () => {}
    }
  }
}
