import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Errors, NodeWorkerPool, WorkerPool } from "../src/index.js"
import { Square } from "./fixtures/tasks.js"

// Worker modules written by the tests live inside the repository, so that their imports resolve.
const scratchRoot = fileURLToPath(new URL("./fixtures/.bundle-scratch/", import.meta.url))

const workerSource = (expression: string) => `
import { Effect } from "effect"
import { TaskRunner } from "../../../../src/index.js"
import { Square } from "../../tasks.js"
export default TaskRunner.make([Square], { Square: ({ x }) => Effect.succeed(${expression}) })
`

const scratch = Effect.acquireRelease(
  Effect.sync(() => {
    mkdirSync(scratchRoot, { recursive: true })
    const dir = mkdtempSync(join(scratchRoot, "case-"))
    const cacheDir = mkdtempSync(join(tmpdir(), "effect-parallel-bundles-"))
    return { dir, cacheDir }
  }),
  ({ cacheDir, dir }) =>
    Effect.sync(() => {
      rmSync(dir, { recursive: true, force: true })
      rmSync(cacheDir, { recursive: true, force: true })
    })
)

const square = (options: NodeWorkerPool.NodeWorkerPool.Options, kind: "thread" | "process" = "thread") =>
  Effect.scoped(
    Effect.gen(function*() {
      const layer = kind === "thread" ? NodeWorkerPool.layerThreads(options) : NodeWorkerPool.layerProcesses(options)
      const pool = Context.get(yield* Layer.build(layer), WorkerPool.WorkerPool)
      return yield* pool.run(new Square({ x: 7 }))
    })
  )

const bundles = (cacheDir: string) => readdirSync(cacheDir).filter((name) => name.endsWith(".mjs"))

describe("NodeWorkerPool bundle option", () => {
  it.live("a TypeScript worker module runs from its bundle, which is reused until an input changes", () =>
    Effect.scoped(Effect.gen(function*() {
      const { cacheDir, dir } = yield* scratch
      const module = join(dir, "worker.ts")
      writeFileSync(module, workerSource("x * x"))
      // written a while ago (an input newer than the build's start is not trusted: see below)
      const past = new Date(Date.now() - 60_000)
      utimesSync(module, past, past)
      const options = { module, size: 1, bundle: { cacheDir } }
      assert.strictEqual(yield* square(options), 49)
      const [bundle] = bundles(cacheDir)
      assert.isDefined(bundle)
      const built = statSync(join(cacheDir, bundle!)).mtimeMs

      // a second pool: the same bundle, not rebuilt
      assert.strictEqual(yield* square(options), 49)
      assert.deepStrictEqual(bundles(cacheDir), [bundle])
      assert.strictEqual(statSync(join(cacheDir, bundle!)).mtimeMs, built)

      // an edited input: rebuilt, and the workers run the new code
      writeFileSync(module, workerSource("x * x + 1"))
      assert.strictEqual(yield* square(options), 50)
      assert.deepStrictEqual(bundles(cacheDir), [bundle])

      // an input newer than the start of its build (edited while bundled): used, but built again next time
      writeFileSync(module, workerSource("x * x + 2"))
      const future = new Date(Date.now() + 60_000)
      utimesSync(module, future, future)
      assert.strictEqual(yield* square(options), 51)
      const rebuiltAt = statSync(join(cacheDir, bundle!)).mtimeMs
      yield* Effect.sleep("20 millis")
      assert.strictEqual(yield* square(options), 51)
      assert.isAbove(statSync(join(cacheDir, bundle!)).mtimeMs, rebuiltAt)
    })))

  it.live("external packages stay out of the bundle and load from node_modules", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dir } = yield* scratch
      const module = join(dir, "worker.ts")
      writeFileSync(module, workerSource("x + 1"))
      // inside the project, so that the bundle's own imports of external packages resolve from node_modules
      const cacheDir = join(dir, "cache")
      const whole = join(dir, "whole")
      assert.strictEqual(yield* square({ module, size: 1, bundle: { cacheDir: whole } }), 8)
      assert.strictEqual(yield* square({ module, size: 1, bundle: { cacheDir, external: ["effect", "@effect/*"] } }), 8)
      const size = (directory: string) => statSync(join(directory, bundles(directory)[0]!)).size
      // effect and @effect/platform are most of a worker bundle
      assert.isBelow(size(cacheDir), size(whole) / 4)
    })))

  it.live("by default the bundle is cached in the nearest node_modules above the module", () =>
    Effect.scoped(Effect.gen(function*() {
      const { dir } = yield* scratch
      // the module's own folder has a node_modules (empty: its imports still resolve further up)
      mkdirSync(join(dir, "node_modules"))
      const module = join(dir, "worker.ts")
      writeFileSync(module, workerSource("x - 1"))
      assert.strictEqual(yield* square({ module, size: 1, bundle: true }), 6)
      assert.strictEqual(bundles(join(dir, "node_modules", ".cache", "effect-parallel")).length, 1)
    })))

  it.live("child processes start from the bundle too", () =>
    Effect.scoped(Effect.gen(function*() {
      const { cacheDir, dir } = yield* scratch
      const module = join(dir, "worker.ts")
      writeFileSync(module, workerSource("x * 3"))
      assert.strictEqual(yield* square({ module, size: 1, bundle: { cacheDir } }, "process"), 21)
    })))

  it.live("a module that cannot be bundled fails the pool with a SpawnError naming the problem, at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { cacheDir, dir } = yield* scratch
      const broken = join(dir, "broken.ts")
      writeFileSync(broken, `import { nothing } from "./does-not-exist.js"\nexport default nothing\n`)
      const unresolved = yield* Effect.flip(square({ module: broken, bundle: { cacheDir } }))
      assert.instanceOf(unresolved, Errors.SpawnError)
      assert.include(unresolved.reason, "could not bundle")
      assert.include(unresolved.reason, "does-not-exist.js")

      const syntax = join(dir, "syntax.ts")
      writeFileSync(syntax, `export default {{\n`)
      const bad = yield* Effect.flip(square({ module: syntax, bundle: { cacheDir } }))
      assert.instanceOf(bad, Errors.SpawnError)
      assert.include(bad.reason, "syntax.ts:1")

      const missing = yield* Effect.flip(square({ module: join(dir, "missing.ts"), bundle: { cacheDir } }))
      assert.instanceOf(missing, Errors.SpawnError)
      assert.include(missing.reason, "does not exist")
      assert.deepStrictEqual(bundles(cacheDir), [])
    })))

  it.live("a bundle option of the wrong kind fails with InvalidOptions", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(square({ module: join(scratchRoot, "any.ts"), bundle: "yes" as never }))
      assert.instanceOf(error, Errors.InvalidOptions)
      assert.include(error.reason, "bundle")
      const nothing = yield* Effect.flip(square({ module: join(scratchRoot, "any.ts"), bundle: null as never }))
      assert.instanceOf(nothing, Errors.InvalidOptions)
    }))
})
