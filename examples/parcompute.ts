/**
 * Parallel Python's parcompute.py (seed 003, Listing 6): the sum of i**3 + 123456789*i**10 + i*23456789 for
 * i in 1..10000, one job per core through the job server. The terms exceed 2**53, so the sum is a bigint; it
 * equals the serial sum. Then pp's print_stats table.
 *
 * Run: npx tsx examples/parcompute.ts
 */
import { Effect, Layer } from "effect"
import { JobServer, NodeWorkerPool } from "../src/index.js"
import { compute, Compute } from "./tasks.js"

const total = 10_000

const program = Effect.gen(function*() {
  const server = yield* JobServer.JobServer
  const ncpus = yield* server.ncpus
  const perJob = Math.floor(total / ncpus)
  const jobs = yield* Effect.forEach(Array.from({ length: ncpus }, (_, i) => i), (i) => {
    const start = i * perJob + 1
    const end = i === ncpus - 1 ? total : (i + 1) * perJob
    return server.submit(new Compute({ start, end }))
  })
  let sum = 0n
  for (const job of jobs) sum += yield* job
  console.log(` workers   : ${ncpus}`)
  console.log(` parallel computed sum : ${sum}`)
  console.log(` serial computed sum   : ${compute(1, total)}`)
  yield* server.printStats
})

const JobServerLive = JobServer.layer.pipe(
  Layer.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url) }))
)

program.pipe(Effect.provide(JobServerLive), Effect.runPromise)
