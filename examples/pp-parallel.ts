/**
 * Parallel Python's parallel.py (seed 003, Listing 5): one "hello" job per core through the job server.
 *
 *   osrvr = Server(); ncpus = osrvr.get_ncpus()
 *   for i in xrange(0, ncpus): djobs[i] = osrvr.submit(coremsg, ("hello FLOSS", i))
 *   for i in xrange(0, ncpus): print djobs[i]()
 *
 * Run: npx tsx examples/pp-parallel.ts
 */
import { Effect, Layer } from "effect"
import { JobServer, NodeWorkerPool } from "../src/index.js"
import { CoreMessage } from "./tasks.js"

const program = Effect.gen(function*() {
  const server = yield* JobServer.JobServer
  const ncpus = yield* server.ncpus
  const jobs = yield* Effect.forEach(
    Array.from({ length: ncpus }, (_, i) => i),
    (i) => server.submit(new CoreMessage({ message: "hello FLOSS", core: i }))
  )
  for (const job of jobs) console.log(yield* job)
})

const JobServerLive = JobServer.layer.pipe(
  Layer.provide(NodeWorkerPool.layerProcesses({ module: new URL("./worker.ts", import.meta.url) }))
)

program.pipe(Effect.provide(JobServerLive), Effect.runPromise)
