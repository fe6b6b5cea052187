/**
 * Transpiles src/ and bench/ to plain JavaScript under bench/.build/<run>/, so
 * that every library, effect-parallel included, runs compiled code in the
 * benchmark processes and workers, with no TypeScript loader in the way (tsx
 * would slow effect-parallel's import and start-up, not its peers').
 * Transpile only (typescript.transpileModule): `npm run check` type-checks.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

/** Files of bench/ that run only in the harness itself (under tsx), never in the benchmark processes. */
const HARNESS_ONLY = new Set(["bench/run.ts", "bench/build.ts", "bench/report.ts"])

const listTs = (root: string, dir: string): Array<string> => {
  const out: Array<string> = []
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name)
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") walk(child)
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        out.push(child)
      }
    }
  }
  walk(dir)
  return out
}

export interface BuildOptions {
  readonly root: string
  readonly outDir: string
  /** Take src/ from this git revision instead of the working tree. */
  readonly srcRef: string | undefined
}

export const build = (options: BuildOptions): void => {
  const { outDir, root } = options
  const files: Array<readonly [string, string]> = []
  if (options.srcRef === undefined) {
    for (const file of listTs(root, "src")) files.push([file, fs.readFileSync(path.join(root, file), "utf8")])
  } else {
    const listed = execFileSync("git", ["ls-tree", "-r", "--name-only", options.srcRef, "--", "src"], {
      cwd: root,
      encoding: "utf8"
    }).split("\n").filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    for (const file of listed) {
      files.push([file, execFileSync("git", ["show", `${options.srcRef}:${file}`], { cwd: root, encoding: "utf8" })])
    }
  }
  for (const file of listTs(root, "bench")) {
    if (!HARNESS_ONLY.has(file)) files.push([file, fs.readFileSync(path.join(root, file), "utf8")])
  }
  for (const [file, source] of files) {
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        sourceMap: false
      }
    })
    const target = path.join(outDir, file.replace(/\.ts$/, ".js"))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, outputText)
  }
  fs.writeFileSync(path.join(outDir, "package.json"), JSON.stringify({ type: "module", private: true }) + "\n")
}
