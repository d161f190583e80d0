import { execFile } from "node:child_process"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as Effect from "effect/Effect"

const root = join(import.meta.dirname, "..", "..")
/** tsx's loader by absolute URL, for `node --import`, so that a child can run TypeScript from any directory. */
export const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href

/** A fixture under test/fixtures, by name. */
export const fixture = (name: string): string => join(root, "test", "fixtures", name)

/**
 * Runs a TypeScript fixture in a fresh node process (through tsx's loader, after any extra `--import`s, with extra
 * environment variables) and parses the JSON it prints.
 */
export const runFixture = <A>(
  file: string,
  options: { readonly imports?: ReadonlyArray<string>; readonly env?: Record<string, string> } = {}
): Effect.Effect<A, Error> =>
  Effect.async<A, Error>((resume) => {
    const args = [...[tsxLoader, ...(options.imports ?? [])].flatMap((i) => ["--import", i]), file]
    const env = { ...process.env, NODE_NO_WARNINGS: "1", ...options.env }
    const child = execFile(process.execPath, args, { env }, (error, out) =>
      resume(error ? Effect.fail(error) : Effect.try({ try: () => JSON.parse(out) as A, catch: (e) => e as Error }))
    )
    return Effect.sync(() => child.kill())
  })
