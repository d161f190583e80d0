/** Cold start: a handler that posts once with the AWS SDK v3 client, created at module load as Lambda code does. */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi"

const client = new ApiGatewayManagementApiClient({ endpoint: process.env.WEBSOCKET_ENDPOINT ?? "" })

export const handler = async () => {
  await client.send(new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: "hello" }))
  return { statusCode: 200 }
}
