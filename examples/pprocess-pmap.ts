/**
 * pprocess's simple.py and simple_pmap.py: the same calculation over an N x N grid, with `map` in the main
 * program and with `Parallel.pmap(..., { concurrency })` (pprocess's `pmap(fn, seq, limit)`), and the speedup.
 * Each calculation waits `delay`, as in pprocess's example, so the speedup follows the limit, not the cores.
 *
 * Run: npx tsx examples/pprocess-pmap.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel } from "../src/index.js"
import { Calculate } from "./tasks.js"

const N = Number(process.env.PMAP_N ?? 6)
const delayMillis = Number(process.env.PMAP_DELAY ?? 100)
const limit = 10
const grid = Array.from({ length: N * N }, (_, k) => ({ i: Math.floor(k / N), j: k % N }))
const calculate = ({ i, j }: { i: number; j: number }) => Effect.as(Effect.sleep(delayMillis), i * N + j)

const program = Effect.gen(function*() {
  const t0 = performance.now()
  const serial = yield* Effect.forEach(grid, calculate)
  const serialMs = performance.now() - t0
  console.log(`map:  ${serial.length} results in ${serialMs.toFixed(0)} ms`)

  const t1 = performance.now()
  const parallel = yield* Parallel.pmap(grid, ({ i, j }) => new Calculate({ i, j, n: N, delayMillis }), {
    concurrency: limit
  })
  const parallelMs = performance.now() - t1
  console.log(`pmap: ${parallel.length} results in ${parallelMs.toFixed(0)} ms (limit ${limit})`)
  console.log(`same results: ${parallel.every((x, k) => x === serial[k])}`)
  console.log(`speedup: ${(serialMs / parallelMs).toFixed(1)}x`)
})

program.pipe(
  Effect.provide(
    NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: 2, concurrency: limit / 2 })
  ),
  Effect.runPromise
)
