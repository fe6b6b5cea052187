/**
 * multiprocessing's waste.py (seed 003, Listing 3), bounded so that it stops itself: 20 workers burn CPU on
 * every core at once, each printing as it goes, then stop after a few rounds (the original loops forever).
 *
 * Run: npx tsx examples/mp-waste.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel } from "../src/index.js"
import { Waste } from "./tasks.js"

const rounds = Number(process.env.WASTE_ROUNDS ?? 3)

const program = Effect.gen(function*() {
  const ids = Array.from({ length: 20 }, (_, i) => i)
  yield* Parallel.map(ids, (id) => new Waste({ id, rounds }), { chunkSize: 1 })
  console.log(`20 workers wasted ${rounds} rounds each on ${Parallel.cpuCount} cores, and stopped`)
})

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: Parallel.cpuCount })),
  Effect.runPromise
)
