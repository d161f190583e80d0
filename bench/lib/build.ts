import * as Esbuild from "esbuild"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"

export const benchDir = Path.resolve(import.meta.dirname, "..")
export const repoDir = Path.resolve(benchDir, "..")

/**
 * How every bundle here is built, workers and Lambda-style handlers alike: ESM for Node 20, ESM builds of
 * dependencies preferred (`module` before `main`, as Lambda bundlers do), and a `require` for the CommonJS
 * dependencies that need one (`@aws-lite/client`).
 */
export const nodeBundle = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  mainFields: ["module", "main"],
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
  },
  logLevel: "silent",
  legalComments: "none"
} as const satisfies Esbuild.BuildOptions

export type Built = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly error: string }

const firstError = (error: unknown): string =>
  error instanceof Error && "errors" in error && Array.isArray(error.errors) && error.errors.length > 0
    ? String((error.errors[0] as Esbuild.Message).text)
    : String(error)

/**
 * Bundles a worker into `outfile`: its entry is a file under bench/, or `{ source }`, TypeScript glue resolved from
 * bench/ (which must use what it imports: the package is `"sideEffects": false`, so a bare `import "./x.ts"` is
 * dropped). A missing module (such as a transport that is not written yet) comes back as `ok: false`, not as a crash.
 */
export const buildWorker = async (entry: string | { readonly source: string }, outfile: string): Promise<Built> => {
  Fs.mkdirSync(Path.dirname(outfile), { recursive: true })
  try {
    await Esbuild.build({
      ...nodeBundle,
      ...(typeof entry === "string"
        ? { entryPoints: [Path.resolve(benchDir, entry)] }
        : {
            stdin: {
              contents: entry.source,
              resolveDir: benchDir,
              sourcefile: Path.basename(outfile, ".mjs") + ".ts",
              loader: "ts" as const
            }
          }),
      outfile
    })
    return { ok: true, file: outfile }
  } catch (error) {
    return { ok: false, error: firstError(error) }
  }
}

/** A module path for an import in generated glue code (forward slashes, from bench/). */
export const importPath = (file: string): string =>
  JSON.stringify(Path.resolve(benchDir, file).split(Path.sep).join("/"))

/**
 * A short hash of every file under src/ as it is on disk now: bundles are built from the working tree, so a section
 * built after src/ changed measures different code. Recorded per section, and the run says so when they differ.
 */
export const srcFingerprint = (): string => {
  const hash = Crypto.createHash("sha256")
  const walk = (dir: string): void => {
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = Path.join(dir, entry.name)
      if (entry.isDirectory()) walk(file)
      else hash.update(Path.relative(repoDir, file)).update("\0").update(Fs.readFileSync(file)).update("\0")
    }
  }
  walk(Path.join(repoDir, "src"))
  return hash.digest("hex").slice(0, 10)
}
