/**
 * The demo behind `npm start`: a local gateway, three real WebSocket clients, and the Streamer service posting,
 * reading and closing connections through the Management API. It never reaches AWS.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import WebSocket from "ws"
import * as Streamer from "../src/Streamer.js"
import * as LocalGateway from "../src/LocalGateway.js"

// Dummy credentials: the local gateway does not check them, and nothing may reach for real ones.
process.env.AWS_ACCESS_KEY_ID ??= "AKIDLOCALDEMO"
process.env.AWS_SECRET_ACCESS_KEY ??= "local-demo-secret"
process.env.AWS_EC2_METADATA_DISABLED = "true"
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"

interface Client {
  readonly name: string
  readonly received: Array<string>
  readonly closed: Promise<number>
}

/** Opens a real `ws` client and records what it receives; closed when the scope closes. */
const openClient = (url: string, name: string) =>
  Effect.acquireRelease(
    Effect.async<{ client: Client; socket: WebSocket }, Error>((resume) => {
      const socket = new WebSocket(url, { headers: { "user-agent": `${name}/1.0` } })
      const received: Array<string> = []
      socket.on("message", (data, isBinary) => {
        const bytes = data as Buffer
        received.push(isBinary ? `<${bytes.byteLength} bytes: ${bytes.toString("hex")}>` : bytes.toString("utf8"))
      })
      const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)))
      socket.once("open", () => resume(Effect.succeed({ client: { name, received, closed }, socket })))
      socket.once("error", (error) => resume(Effect.fail(error)))
    }),
    ({ socket }) => Effect.sync(() => socket.terminate())
  ).pipe(Effect.map(({ client }) => client))

const seconds = (d: Duration.Duration) => `${(Duration.toMillis(d) / 1000).toFixed(3)}s`

const program = Effect.gen(function* () {
  const gateway = yield* LocalGateway.make({ port: 0 })
  yield* Effect.log(`local gateway: WebSocket ${gateway.wsUrl}, Management API ${gateway.endpoint}`)

  const clients: Array<Client> = []
  for (const name of ["alice", "bob", "carol"]) clients.push(yield* openClient(gateway.wsUrl, name))
  const ids = (yield* gateway.connections).map((c) => c.connectionId)
  clients.forEach((c, i) => console.log(`connected ${c.name} as ${ids[i]}`))

  const StreamerLive = Streamer.layer({ endpoint: gateway.endpoint })
  yield* Effect.gen(function* () {
    const streamer = yield* Streamer.Streamer
    console.log(`\nStreamer endpoint ${streamer.endpoint}, region ${streamer.region}`)

    for (const [i, id] of ids.entries()) {
      yield* streamer.postToConnection(id, `hello ${clients[i]!.name} ✓`)
      yield* streamer.postToConnection(id, new Uint8Array([0xde, 0xad, 0xbe, 0xef]))
    }

    yield* Effect.sleep("50 millis")
    console.log("\nconnection info:")
    for (const id of ids) {
      const info = yield* streamer.getConnection(id)
      console.log(
        `  ${id}  age ${seconds(info.age())}  idle ${seconds(info.idleDuration())}  ` +
          `state ${info.state()}  ip ${info.sourceIp}  agent ${info.userAgent}`
      )
    }

    const victim = ids[1]!
    console.log(`\ndeleting ${victim} (${clients[1]!.name})`)
    yield* streamer.deleteConnection(victim)
    const code = yield* Effect.promise(() => clients[1]!.closed)
    console.log(`  ${clients[1]!.name}'s socket closed with code ${code}`)

    yield* streamer
      .postToConnection(victim, "are you still there?")
      .pipe(
        Effect.catchTag("GoneError", (e) => Effect.sync(() => console.log(`  posting again: ${e._tag} (${e.message})`)))
      )
    yield* streamer.deleteConnection(victim)
    console.log("  deleting again succeeds: the connection is already gone")

    const result = yield* streamer.broadcast(ids, "broadcast to everyone", {
      onGone: (id) => Effect.sync(() => console.log(`  broadcast pruned gone id ${id}`))
    })
    console.log(
      `  broadcast: delivered ${result.delivered}, gone ${result.gone.length}, failed ${result.failed.length}`
    )
  }).pipe(Effect.provide(StreamerLive))

  yield* Effect.sleep("100 millis")
  console.log("\nwhat every client received:")
  for (const c of clients) console.log(`  ${c.name}: ${JSON.stringify(c.received)}`)
})

const main = Effect.scoped(program).pipe(
  Effect.timeout("25 seconds"),
  Effect.catchAllCause((cause) =>
    Effect.logError("demo failed", cause).pipe(Effect.zipRight(Effect.sync(() => (process.exitCode = 1))))
  )
)

Effect.runPromise(main.pipe(Effect.provide(Layer.empty))).then(() => {
  console.log("\ndone: gateway closed, nothing left running")
})
