/**
 * Parallel Python's parcompute.py (seed 003, Listing 6): the sum of
 * i**3 + 123456789*i**10 + i*23456789 for i in 1..10000, one job per core.
 * The terms exceed 2**53, so the sum is a bigint, and it equals the serial sum.
 *
 * Run: npx tsx examples/parcompute.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel, WorkerPool } from "../src/index.js"
import { compute, Compute } from "./tasks.js"

const total = 10_000

const program = Effect.gen(function*() {
  const pool = yield* WorkerPool.WorkerPool
  const ncpus = yield* pool.size
  const perJob = Math.floor(total / ncpus)
  const jobs = yield* Effect.forEach(Array.from({ length: ncpus }, (_, i) => i), (i) => {
    const start = i * perJob + 1
    const end = i === ncpus - 1 ? total : (i + 1) * perJob
    return pool.submit(new Compute({ start, end }))
  })
  let sum = 0n
  for (const job of jobs) sum += yield* job.await
  console.log(` workers   : ${ncpus}`)
  console.log(` parallel computed sum : ${sum}`)
  console.log(` serial computed sum   : ${compute(1, total)}`)
})

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: Parallel.cpuCount })),
  Effect.runPromise
)
