/**
 * The demo behind `npm start`: a local gateway, three real WebSocket clients, and the Streamer service posting,
 * reading and closing connections through the Management API. It never reaches AWS.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import WebSocket from "ws"
import * as Streamer from "../src/Streamer.js"
import * as LocalGateway from "../src/LocalGateway.js"
import { handler as chatHandler } from "../examples/chat/handler.js"

// Dummy credentials: the local gateway does not check them, and nothing may reach for real ones.
process.env.AWS_ACCESS_KEY_ID ??= "AKIDLOCALDEMO"
process.env.AWS_SECRET_ACCESS_KEY ??= "local-demo-secret"
process.env.AWS_EC2_METADATA_DISABLED = "true"
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"

interface Client {
  readonly name: string
  readonly send: (text: string) => void
  readonly close: () => void
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
      socket.once("open", () =>
        resume(
          Effect.succeed({
            client: {
              name,
              received,
              closed,
              send: (text: string) => socket.send(text),
              close: () => socket.close(1000)
            },
            socket
          })
        )
      )
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

/** The chat example end to end: the gateway invokes its Lambda handler's routes, which post back to the room. */
const chat = Effect.gen(function* () {
  const gateway = yield* LocalGateway.make({ port: 0, handler: chatHandler })
  console.log(`\nchat example (examples/chat): routes ${chatHandler.routeKeys.join(", ")} behind ${gateway.wsUrl}`)
  const alice = yield* openClient(gateway.wsUrl, "alice")
  const bob = yield* openClient(gateway.wsUrl, "bob")
  const say = (socket: Client, payload: unknown) =>
    Effect.sync(() => {
      console.log(`  ${socket.name} sends ${JSON.stringify(payload)}`)
      socket.send(JSON.stringify(payload))
    })
  const waitFor = (client: Client, count: number) =>
    Effect.repeat(
      Effect.sync(() => client.received.length >= count),
      {
        until: (done) => done,
        schedule: Schedule.spaced("10 millis")
      }
    )
  yield* say(alice, { action: "join", room: "lobby", name: "alice" })
  yield* waitFor(alice, 1)
  yield* say(bob, { action: "join", room: "lobby", name: "bob" })
  yield* waitFor(alice, 2)
  yield* say(bob, { action: "say", text: "hi alice!" })
  yield* say(alice, { action: "say", text: "hello bob" })
  yield* waitFor(alice, 4)
  yield* waitFor(bob, 3)
  console.log("  bob closes his socket ($disconnect tells the room)")
  bob.close()
  yield* waitFor(alice, 5)
  for (const c of [alice, bob]) {
    console.log(`  ${c.name} received:`)
    for (const message of c.received) console.log(`    ${message}`)
  }
  alice.close()
  yield* Effect.sleep("100 millis")
})

const main = Effect.zipRight(Effect.scoped(program), Effect.scoped(chat)).pipe(
  Effect.timeout("25 seconds"),
  Effect.catchAllCause((cause) =>
    Effect.logError("demo failed", cause).pipe(Effect.zipRight(Effect.sync(() => (process.exitCode = 1))))
  )
)

Effect.runPromise(main.pipe(Effect.provide(Layer.empty))).then(() => {
  console.log("\ndone: gateway closed, nothing left running")
})
