/**
 * Accessors for the common cases: everything here needs only a `WorkerPool`
 * in context, so a program reads like Python's `Pool.map` or pprocess's
 * `pmap` and the choice of threads, processes or the test layer stays in one
 * place.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Parallel } from "effect-parallel"
 *
 * const squares = Parallel.map([1, 2, 3, 4], (x) => new Square({ x })) // Effect<number[], ..., WorkerPool>
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { cpuCount as nodeCpuCount } from "./layers/NodeWorkerPool.js"
import * as WorkerPool from "./services/WorkerPool.js"
import type * as Job from "./Job.js"
import type * as Task from "./Task.js"

/**
 * The number of cores this process may use (multiprocessing `cpu_count()`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const cpuCount: number = nodeCpuCount

/**
 * Runs one task on the pool in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const run = <T extends Task.Any>(
  task: T,
  options?: WorkerPool.WorkerPool.RunOptions
): Effect.Effect<Task.Success<T>, WorkerPool.Error<T>, WorkerPool.WorkerPool> =>
  Effect.flatMap(WorkerPool.WorkerPool, (pool) => pool.run(task, options))

/**
 * Starts one task in the background on the pool in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const submit = <T extends Task.Any>(
  task: T,
  options?: WorkerPool.WorkerPool.RunOptions
): Effect.Effect<Job.Job<Task.Success<T>, WorkerPool.Error<T>>, never, WorkerPool.WorkerPool> =>
  Effect.flatMap(WorkerPool.WorkerPool, (pool) => pool.submit(task, options))

/**
 * multiprocessing's `Pool.map`: one task per item, results in input order.
 *
 * @since 0.1.0
 * @category combinators
 */
export const map = <A, T extends Task.Any, E = never, R = never>(
  items: WorkerPool.Input<A, E, R>,
  f: (item: A, index: number) => T,
  options?: WorkerPool.WorkerPool.MapOptions
): Effect.Effect<Array<Task.Success<T>>, WorkerPool.Error<T> | E, R | WorkerPool.WorkerPool> =>
  Effect.flatMap(WorkerPool.WorkerPool, (pool) => pool.map(items, f, options))

/**
 * pprocess's `pmap(fn, seq, limit)`: `map` with at most `concurrency` tasks
 * running at once (one item per message, so the limit counts tasks), and the
 * rest of `map`'s options (`timeout`, `retry`, `isolate`, `onProgress`).
 * Interrupting it interrupts every task it has in flight.
 *
 * @since 0.1.0
 * @category combinators
 */
export const pmap = <A, T extends Task.Any, E = never, R = never>(
  items: WorkerPool.Input<A, E, R>,
  f: (item: A, index: number) => T,
  options?: Omit<WorkerPool.WorkerPool.MapOptions, "chunkSize">
): Effect.Effect<Array<Task.Success<T>>, WorkerPool.Error<T> | E, R | WorkerPool.WorkerPool> =>
  Effect.flatMap(WorkerPool.WorkerPool, (pool) =>
    pool.map(items, f, { ...options, chunkSize: 1, concurrency: options?.concurrency ?? pool.capacity }))

/**
 * A terminal progress bar for `onProgress`: `[#####-----]  50% 500/1000 label`,
 * redrawn in place on stderr when it is a terminal (a plain line per tenth
 * otherwise), ended with a newline when everything is done.
 *
 * @example
 * ```ts
 * yield* Parallel.map(items, (x) => new Square({ x }), { onProgress: Parallel.progressBar("squares") })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const progressBar = (
  label: string,
  output: { readonly isTTY?: boolean | undefined; readonly write: (s: string) => unknown } = process.stderr
): (progress: WorkerPool.Progress) => void => {
  let lastTenth = -1
  return ({ done, total }) => {
    const width = 30
    const ratio = total === undefined || total === 0 ? 0 : done / total
    const line = total === undefined
      ? `${done} done ${label}`
      : `[${"#".repeat(Math.round(ratio * width)).padEnd(width, "-")}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total} ${label}`
    const finished = total !== undefined && done >= total
    if (output.isTTY) {
      output.write(`\r${line}${finished ? "\n" : ""}`)
    } else {
      const tenth = Math.floor(ratio * 10)
      if (tenth !== lastTenth || finished) {
        lastTenth = tenth
        output.write(`${line}\n`)
      }
    }
  }
}

/**
 * multiprocessing's `imap`: results as an ordered Stream, input pulled lazily.
 *
 * @since 0.1.0
 * @category combinators
 */
export const stream = <A, T extends Task.Any, E = never, R = never>(
  items: WorkerPool.Input<A, E, R>,
  f: (item: A, index: number) => T,
  options?: WorkerPool.WorkerPool.MapOptions
): Stream.Stream<Task.Success<T>, WorkerPool.Error<T> | E, R | WorkerPool.WorkerPool> =>
  Stream.unwrap(Effect.map(WorkerPool.WorkerPool, (pool) => pool.stream(items, f, options)))

/**
 * multiprocessing's `imap_unordered`: results in completion order, each with its input index.
 *
 * @since 0.1.0
 * @category combinators
 */
export const streamUnordered = <A, T extends Task.Any, E = never, R = never>(
  items: WorkerPool.Input<A, E, R>,
  f: (item: A, index: number) => T,
  options?: WorkerPool.WorkerPool.MapOptions
): Stream.Stream<WorkerPool.Indexed<Task.Success<T>>, WorkerPool.Error<T> | E, R | WorkerPool.WorkerPool> =>
  Stream.unwrap(Effect.map(WorkerPool.WorkerPool, (pool) => pool.streamUnordered(items, f, options)))
