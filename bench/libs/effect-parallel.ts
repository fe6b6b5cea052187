/** effect-parallel, on worker threads or child processes, driven the way its README shows. */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { fileURLToPath } from "node:url"
import { NodeWorkerPool, WorkerPool } from "../../src/index.js"
import { Echo, EchoTransfer, Inc, Spin } from "../tasks.js"
import type { EffectLib, EffectPool } from "../types.js"

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i
}

const wrap = (pool: WorkerPool.WorkerPool): EffectPool => ({
  inc: (x) => pool.run(new Inc({ x })),
  submitAll: (xs) =>
    Effect.flatMap(Effect.forEach(xs, (x) => pool.submit(new Inc({ x }))), (jobs) => Effect.forEach(jobs, (job) => job)),
  map: (xs) => pool.map(xs, (x) => new Inc({ x })),
  stream: (n) => Stream.runFold(pool.stream(range(n), (x) => new Inc({ x })), 0, (sum, y) => sum + y),
  spin: (iterations) => pool.run(new Spin({ iterations })),
  spinMap: (count, iterations) => pool.map(Array.from({ length: count }), () => new Spin({ iterations })),
  echo: (array) => pool.run(new Echo({ array })),
  echoTransfer: (array) => pool.run(new EchoTransfer({ array }))
})

const use = (kind: "thread" | "process", extra: Partial<NodeWorkerPool.NodeWorkerPool.Options>): EffectLib["use"] =>
(params, f) => {
  // bundled, as the README advises for production: one module to load per worker instead of hundreds
  // (cached inside this run's build directory, which the harness removes at the end)
  const options = {
    module: new URL("../workers/effect-worker.js", import.meta.url),
    size: params.size,
    bundle: { cacheDir: fileURLToPath(new URL("../../.bundles", import.meta.url)) },
    ...extra
  }
  const layer = kind === "thread" ? NodeWorkerPool.layerThreads(options) : NodeWorkerPool.layerProcesses(options)
  return Effect.scoped(
    Effect.flatMap(Layer.build(layer), (context) => f(wrap(Context.get(context, WorkerPool.WorkerPool))))
  )
}

export const make = (kind: "thread" | "process"): EffectLib => ({
  kind: "effect",
  use: use(kind, {}),
  ...(kind === "thread" ? { useWithoutSpin: use(kind, { idleSpin: 0 }) } : {}),
  notes: {
    "tiny-run":
      "every task submitted with `pool.submit(new Inc({ x }))` (a Job each, no fiber), then every Job awaited; the last column: `Effect.forEach(items, (x) => pool.run(new Inc({ x })), { concurrency: \"unbounded\" })`, a fiber per task",
    "tiny-map": "`pool.map(items, (x) => new Inc({ x }))`, chunkSize \"auto\"",
    cpu: "`Effect.forEach(tasks, (task) => pool.run(task), { concurrency: \"unbounded\" })`, a fiber per task; the last column: `pool.map` with chunkSize \"auto\"",
    "buffer-clone": "Float64Array as a Schema field (`Schema.instanceOf(Float64Array)`)",
    "buffer-transfer": "`Task.transferable` on the field and the result: moved both ways; the handler answers with `Effect.succeed`",
    stream: "`pool.stream(generator, (x) => new Inc({ x }))` folded with Stream.runFold; chunkSize \"auto\""
  }
})
