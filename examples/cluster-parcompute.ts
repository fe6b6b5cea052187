/**
 * Parallel Python's parcompute.py (seed 003, Listing 6) over a cluster: the same sum as examples/parcompute.ts,
 * split into jobs that run on every `effect-parallel serve` runner sharing the storage, then pp's print_stats
 * table with one row per runner.
 *
 * Start two runners first (each serving examples/worker.ts), then:
 *   EFFECT_PARALLEL_SECRET=s3cret npx tsx examples/cluster-parcompute.ts [storage] [jobs]
 * storage defaults to sqlite:effect-parallel.db; jobs to 16.
 */
import { Effect, Redacted } from "effect"
import { JobServer } from "../src/index.js"
import * as ClusterJobServer from "../src/layers/ClusterJobServer.js"
import { compute, Compute } from "./tasks.js"

const total = 10_000
const storage = process.argv[2] ?? "sqlite:effect-parallel.db"
const parts = Number(process.argv[3] ?? 16)

const program = Effect.gen(function*() {
  const server = yield* JobServer.JobServer
  const nodes = yield* server.activeNodes
  console.log(` runners   : ${nodes.map((n) => `${n.node} (${n.cores} cores)`).join(", ")}`)
  const perJob = Math.floor(total / parts)
  const jobs = yield* Effect.forEach(Array.from({ length: parts }, (_, i) => i), (i) => {
    const start = i * perJob + 1
    const end = i === parts - 1 ? total : (i + 1) * perJob
    return server.submit(new Compute({ start, end }))
  })
  let sum = 0n
  for (const job of jobs) sum += yield* job
  console.log(` jobs      : ${parts}`)
  console.log(` parallel computed sum : ${sum}`)
  console.log(` serial computed sum   : ${compute(1, total)}`)
  yield* server.printStats
})

program.pipe(
  Effect.provide(ClusterJobServer.layer({
    storage,
    secret: Redacted.make(process.env.EFFECT_PARALLEL_SECRET ?? "s3cret")
  })),
  Effect.runPromise
)
