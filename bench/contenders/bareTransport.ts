/**
 * (g) A transport without the service: its internal `make` called directly and `post` driven by the same
 * `Effect.forEach` as the Streamer contenders, so (f) / (g) is what the service adds (validation, retry policy, span).
 * With the `"stream"` driver, the same posts go through `Stream.mapEffect` (what `broadcast` uses), to show what that
 * driver costs. The build passes in `make` from `src/internal/httpTransport.ts` (see `contenders/index.ts`).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { resolveConfig } from "../../src/Streamer.js"
import type { Make } from "../../src/internal/transport.js"
import { type Driver, postEach } from "../lib/effectPool.js"
import type { Contender } from "./types.js"

export const bareTransportContender = (make: Make, driver: Driver = "forEach"): Contender => ({
  setup: async (target) => {
    const config = await Effect.runPromise(resolveConfig({ endpoint: target.endpoint }))
    const scope = Effect.runSync(Scope.make())
    const transport = await Effect.runPromise(Scope.extend(make(config), scope))
    return {
      postAll: (ids, data, concurrency) =>
        Effect.runPromise(postEach(ids, concurrency, (id) => transport.post(id, data), driver)),
      close: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
})
