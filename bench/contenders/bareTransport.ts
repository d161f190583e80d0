/**
 * (g) A transport without the service: its internal `make` called directly and `post` driven by the same
 * `Effect.forEach` as the Streamer contenders, so (f) / (g) is what the service adds (validation, retry policy, span).
 * The build passes in `make` from `src/internal/httpTransport.ts` (see `contenders/index.ts`).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { resolveConfig } from "../../src/Streamer.js"
import type { Make } from "../../src/internal/transport.js"
import { forEachPost } from "../lib/effectPool.js"
import type { Contender } from "./types.js"

export const bareTransportContender = (make: Make): Contender => ({
  setup: async (target) => {
    const config = await Effect.runPromise(resolveConfig({ endpoint: target.endpoint }))
    const scope = Effect.runSync(Scope.make())
    const transport = await Effect.runPromise(Scope.extend(make(config), scope))
    return {
      postAll: (ids, data, concurrency) =>
        Effect.runPromise(forEachPost(ids, concurrency, (id) => transport.post(id, data))),
      close: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
})
