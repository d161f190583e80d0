/** Cold start: a handler that posts once with `@aws-lite/apigatewaymanagementapi`, the client made at module load. */
import awsLite from "@aws-lite/client"
import apiGatewayManagementApi from "@aws-lite/apigatewaymanagementapi"
import type { AwsLiteApiGateway } from "../contenders/awsLite.js"

const aws = (await awsLite({ plugins: [apiGatewayManagementApi] })) as unknown as AwsLiteApiGateway

export const handler = async () => {
  await aws.ApiGatewayManagementApi.PostToConnection({
    ConnectionId: "L0SM9cOFvHcCIhw=",
    Data: "hello",
    ApiUrl: process.env.WEBSOCKET_ENDPOINT ?? ""
  })
  return { statusCode: 200 }
}
