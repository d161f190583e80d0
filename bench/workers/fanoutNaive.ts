/**
 * Fan-out worker, the naive way every peer leaves to its users: `Promise.all(ids.map(send))` over the AWS SDK client
 * (default options), each promise caught so that the whole completes.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand
} from "@aws-sdk/client-apigatewaymanagementapi"
import { runMain, workerInput } from "../lib/child.js"
import { mixedIds, payload } from "../lib/ids.js"
import { describe } from "../lib/pool.js"
import { type FanoutInput, measure } from "./fanout.js"

runMain(async () => {
  const input = workerInput<FanoutInput>()
  const data = payload(100)
  const ids = Array.from(mixedIds(input.count, input.goneEvery))
  const client = new ApiGatewayManagementApiClient({ endpoint: input.endpoint })
  const result = await measure(input, "sdk", async () => {
    let delivered = 0
    let failed = 0
    let firstError: string | undefined
    const gone: Array<string> = []
    await Promise.all(
      ids.map((id) =>
        client.send(new PostToConnectionCommand({ ConnectionId: id, Data: data })).then(
          () => {
            delivered++
          },
          (error: unknown) => {
            if (error instanceof GoneException) gone.push(id)
            else {
              failed++
              firstError ??= describe(error)
            }
          }
        )
      )
    )
    return { delivered, gone: gone.length, failed, firstError }
  })
  client.destroy()
  return result
})
