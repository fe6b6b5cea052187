/**
 * multiprocessing's
 *
 *   with Pool(4) as pool:
 *       print(pool.map(square, [1, 2, 3, 4]))
 *
 * Run: npx tsx examples/pool-map.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel } from "../src/index.js"
import { Square } from "./tasks.js"

const program = Parallel.map([1, 2, 3, 4], (x) => new Square({ x })).pipe(
  Effect.tap((squares) => Effect.sync(() => console.log(squares)))
)

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: 4 })),
  Effect.runPromise
)
