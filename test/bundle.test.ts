import { assert, describe, it } from "@effect/vitest"
import * as Esbuild from "esbuild"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")

/** The library's main entry bundled as an app would bundle it, for no particular runtime. */
const bundleMainEntry = () =>
  Esbuild.build({
    entryPoints: [join(root, "src", "index.ts")],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    splitting: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    external: ["node:*"],
    outdir: join(root, "dist-test-bundle"),
    logLevel: "silent"
  })

describe("the main entry, bundled", () => {
  it("imports no node: module statically, bundles no import() of its own, and never reaches the AWS SDK", async () => {
    const { metafile } = await bundleMainEntry()
    const outputs = Object.values(metafile.outputs)
    // One file: an import() of a bundled module would have become a chunk of its own (and made esbuild wrap every
    // module in a lazy initialiser, which costs a cold start dearly).
    assert.strictEqual(outputs.length, 1, Object.keys(metafile.outputs).join(", "))
    const imports = outputs[0]!.imports
    const staticNode = imports.filter((i) => i.kind === "import-statement" && i.path.startsWith("node:"))
    assert.deepStrictEqual(staticNode, [], "the portable path must load on runtimes without node: modules")
    const dynamicNode = imports.filter((i) => i.kind === "dynamic-import").map((i) => i.path)
    assert.sameMembers(dynamicNode, ["node:http", "node:https", "node:crypto"])
    const inputs = Object.keys(metafile.inputs)
    assert.isFalse(
      inputs.some((path) => path.includes("@aws-sdk/") || path.includes("@smithy/")),
      "no AWS SDK"
    )
    assert.isFalse(inputs.some((path) => /LocalGateway|internal\/gateway\/|node_modules\/ws\//.test(path)))
  })
})
