/**
 * poolifier's worker: a ThreadWorker with one task function per operation.
 * poolifier can transfer to a worker but always clones results back.
 */
import { ThreadWorker } from "poolifier"
import { inc, spin, touch } from "../work.js"

export default new ThreadWorker<unknown, unknown>({
  inc: (x) => inc(x as number),
  spin: (iterations) => spin(iterations as number),
  echo: (array) => touch(array as Float64Array)
})
