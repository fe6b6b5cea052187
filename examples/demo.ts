/**
 * The main demo: CPU-bound work (counting primes) run serially on the main
 * thread, then in parallel on a pool of worker threads, with the speedup.
 *
 * Run: npm run demo
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel } from "../src/index.js"
import { countPrimes, CountPrimes } from "./tasks.js"

const limit = Number(process.env.DEMO_LIMIT ?? 6_000_000)
const jobs = 32
const step = Math.ceil(limit / jobs)
const ranges = Array.from({ length: jobs }, (_, i) => ({ from: i * step, to: Math.min(limit, (i + 1) * step) }))

const program = Effect.gen(function*() {
  console.log(`Counting the primes below ${limit.toLocaleString("en")} in ${jobs} tasks, on ${Parallel.cpuCount} cores`)
  const t0 = performance.now()
  let serial = 0
  for (const { from, to } of ranges) serial += countPrimes(from, to)
  const serialMs = performance.now() - t0
  console.log(`serial:   ${serial} primes in ${serialMs.toFixed(0)} ms`)

  const t1 = performance.now()
  const counts = yield* Parallel.map(ranges, (range) => new CountPrimes(range), {
    chunkSize: 1,
    onProgress: Parallel.progressBar("ranges")
  })
  const parallelMs = performance.now() - t1
  const parallel = counts.reduce((a, b) => a + b, 0)
  console.log(`parallel: ${parallel} primes in ${parallelMs.toFixed(0)} ms`)
  console.log(`speedup:  ${(serialMs / parallelMs).toFixed(2)}x`)
  if (parallel !== serial) return yield* Effect.dieMessage("the parallel count differs from the serial count")
})

program.pipe(
  // bundle: the workers start from one cached esbuild bundle of worker.ts, not through tsx module by module
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), bundle: true })),
  Effect.runPromise
)
