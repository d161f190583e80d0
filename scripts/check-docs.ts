/**
 * Type-checks every ```ts block of README.md, docs/*.md and the JSDoc `@example`s of src/*.ts against the sources:
 * each block becomes a module in .tmp/docs-check, with "effect-streamer" mapped to src/. A block marked
 * ```ts nocheck is skipped.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"

const root = join(import.meta.dirname, "..")
const out = join(root, ".tmp", "docs-check")
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const files = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, "src"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `src/${f}`)
]
const written: Array<string> = []
for (const file of files) {
  const source = readFileSync(join(root, file), "utf8")
  // In a source file only the JSDoc examples count, their leading " * " removed.
  const text = file.endsWith(".ts") ? source.replace(/^[ \t]*\* ?/gm, "") : source
  const blocks = [...text.matchAll(/```(ts|typescript)([^\n]*)\n([\s\S]*?)```/g)]
  blocks.forEach((match, i) => {
    if (match[2]!.includes("nocheck")) return
    const code = match[3]!
    const name = `${file.replace(/[/.]/g, "_")}_${i + 1}.ts`
    writeFileSync(join(out, name), `${code}\nexport {}\n`)
    written.push(name)
  })
}

const tsconfig = {
  extends: relative(out, join(root, "tsconfig.base.json")),
  compilerOptions: {
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    types: ["node", "aws-lambda"],
    baseUrl: ".",
    paths: {
      "effect-streamer": [relative(out, join(root, "src/index.ts"))],
      "effect-streamer/local": [relative(out, join(root, "src/local.ts"))]
    }
  },
  include: ["*.ts"]
}
writeFileSync(join(out, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
try {
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", out], { stdio: "inherit" })
  console.log(`docs: ${written.length} code blocks type-check`)
} catch {
  console.error(`docs: code blocks fail to type-check (see ${relative(root, out)})`)
  process.exit(1)
}
