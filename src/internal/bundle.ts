import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { SpawnError } from "../Errors.js"

/**
 * Worker modules bundled into one file with esbuild, so that a worker loads
 * one module instead of hundreds: importing `effect/Schema` file by file takes
 * ~250 ms here, the same code from one file ~50 ms. The bundle is cached on
 * disk beside a manifest of its inputs (path, size, mtime) and rebuilt when
 * any input changes, so a pool started again reuses it.
 */
export interface BundleOptions {
  /**
   * Where bundles are cached. Defaults to `node_modules/.cache/effect-parallel` in the nearest folder
   * above the worker module that has a `node_modules` (so that external packages resolve from the
   * bundle), or the system's temporary folder.
   */
  readonly cacheDir?: string | undefined
  /** Packages left out of the bundle and loaded from node_modules (native addons, for one). */
  readonly external?: ReadonlyArray<string> | undefined
}

interface Manifest {
  readonly inputs: ReadonlyArray<readonly [file: string, size: number, mtimeMs: number]>
}

/** The part of esbuild's API used here (esbuild is an optional peer dependency: no types from it). */
interface Esbuild {
  readonly version: string
  readonly build: (options: Record<string, unknown>) => Promise<{
    readonly metafile?: { readonly inputs: Record<string, unknown> }
  }>
}

// In a bundled ES module, CommonJS dependencies still call require (node builtins, for one).
const BANNER = `import { createRequire as __effectParallelRequire } from "node:module";
const require = __effectParallelRequire(import.meta.url);`

const fail = (module: string, reason: string) => new SpawnError({ module, attempts: 0, reason })

const loadEsbuild = (module: string): Effect.Effect<Esbuild, SpawnError> =>
  Effect.tryPromise({
    // a variable specifier: esbuild is optional, and its absence must not break type-checking or loading
    try: () => {
      const specifier = "esbuild"
      return import(specifier) as Promise<Esbuild & { readonly default?: Esbuild }>
    },
    catch: () =>
      fail(module, "bundle: true needs the esbuild package, which is not installed (npm install --save-dev esbuild)")
  }).pipe(Effect.map((mod) => typeof mod.build === "function" ? mod : mod.default!))

const readManifest = (file: string): Manifest | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest
  } catch {
    return undefined
  }
}

const unchanged = (manifest: Manifest): boolean =>
  manifest.inputs.every(([file, size, mtimeMs]) => {
    try {
      const stat = fs.statSync(file)
      return stat.size === size && stat.mtimeMs === mtimeMs
    } catch {
      return false
    }
  })

const defaultCacheDir = (entry: string): string => {
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "node_modules"))) return path.join(dir, "node_modules", ".cache", "effect-parallel")
    if (path.dirname(dir) === dir) return path.join(os.tmpdir(), "effect-parallel-bundles")
  }
}

/**
 * The URL of an up-to-date bundle of `moduleUrl` (a `file:` URL), built now
 * if there is none or an input changed. Fails with a SpawnError naming the
 * module if it cannot be bundled (a syntax error, an import that does not
 * resolve, no esbuild).
 */
export const prepare = (moduleUrl: string, options: BundleOptions): Effect.Effect<string, SpawnError> =>
  Effect.suspend(() => {
    if (!moduleUrl.startsWith("file:")) return Effect.fail(fail(moduleUrl, "bundle: true needs a file module"))
    const entry = fileURLToPath(moduleUrl)
    if (!fs.existsSync(entry)) return Effect.fail(fail(moduleUrl, `the worker module ${entry} does not exist`))
    const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir(entry))
    const external = [...(options.external ?? [])].sort()
    const key = createHash("sha256")
      .update(JSON.stringify([entry, external, process.version]))
      .digest("hex")
      .slice(0, 16)
    const base = path.join(cacheDir, `${path.basename(entry).replace(/\.[^.]*$/, "")}-${key}`)
    const outfile = `${base}.mjs`
    const manifestFile = `${base}.json`
    const manifest = readManifest(manifestFile)
    if (manifest !== undefined && fs.existsSync(outfile) && unchanged(manifest)) {
      return Effect.succeed(pathToFileURL(outfile).href)
    }
    return loadEsbuild(moduleUrl).pipe(
      Effect.flatMap((esbuild) =>
        Effect.tryPromise({
          try: () => build(esbuild, entry, external, cacheDir, base),
          catch: (error) => fail(moduleUrl, `could not bundle the worker module: ${describeBuildError(error)}`)
        })
      )
    )
  })

/** Builds `base`.mjs (+ .map) and its manifest; returns the bundle's URL. */
const build = async (
  esbuild: Esbuild,
  entry: string,
  external: ReadonlyArray<string>,
  cacheDir: string,
  base: string
): Promise<string> => {
  const outfile = `${base}.mjs`
  fs.mkdirSync(cacheDir, { recursive: true })
  // built beside, then renamed: a pool starting meanwhile never reads half a file
  const temp = `${base}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp.mjs`
  const buildStart = Date.now()
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      outfile: temp,
      bundle: true,
      format: "esm",
      platform: "node",
      target: `node${process.versions.node.split(".")[0]}`,
      external,
      banner: { js: BANNER },
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      absWorkingDir: process.cwd()
    })
    const inputs = Object.keys(result.metafile?.inputs ?? {}).flatMap((input) => {
      const file = path.resolve(process.cwd(), input.replace(/^[a-z-]{2,}:/, ""))
      try {
        const stat = fs.statSync(file)
        return [[file, stat.size, stat.mtimeMs] as const]
      } catch {
        return []
      }
    })
    fs.renameSync(`${temp}.map`, `${outfile}.map`)
    const code = fs.readFileSync(temp, "utf8")
    fs.writeFileSync(temp, code.replace(/sourceMappingURL=.*\.map\s*$/, `sourceMappingURL=${path.basename(outfile)}.map\n`))
    fs.renameSync(temp, outfile)
    // An input edited while it was being bundled: use this bundle now, but record no manifest, so that the
    // next start builds again.
    const manifestFile = `${base}.json`
    if (inputs.every(([, , mtimeMs]) => mtimeMs < buildStart)) {
      fs.writeFileSync(manifestFile, JSON.stringify({ inputs } satisfies Manifest))
    } else {
      fs.rmSync(manifestFile, { force: true })
    }
    return pathToFileURL(outfile).href
  } finally {
    fs.rmSync(temp, { force: true })
    fs.rmSync(`${temp}.map`, { force: true })
  }
}

const describeBuildError = (error: unknown): string => {
  const errors = (error as { errors?: ReadonlyArray<{ text: string; location?: { file: string; line: number } }> })
    ?.errors
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((e) => e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text).join("; ")
  }
  return error instanceof Error ? error.message : String(error)
}
