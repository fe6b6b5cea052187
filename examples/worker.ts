/**
 * The worker module of the examples: one handler per task.
 */
import { Effect } from "effect"
import { TaskRunner } from "../src/index.js"
import { Compute, compute, CountPrimes, countPrimes, Square } from "./tasks.js"

export default TaskRunner.make([Square, Compute, CountPrimes], {
  Square: ({ x }) => Effect.succeed(x * x),
  Compute: ({ end, start }) => Effect.sync(() => compute(start, end)),
  CountPrimes: ({ from, to }) => Effect.sync(() => countPrimes(from, to))
})
