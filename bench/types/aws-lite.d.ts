// The plugin ships no types; the client only needs it as an opaque plugin object.
declare module "@aws-lite/apigatewaymanagementapi" {
  const plugin: object
  export default plugin
}
