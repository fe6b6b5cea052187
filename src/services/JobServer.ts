/**
 * `JobServer`: Parallel Python's job server, as an Effect service.
 *
 * Submit tasks as jobs (`submit`, with an optional group and a callback run
 * when the job is done), wait for a group or for everything (`wait`), read
 * and change the number of workers while jobs run (`ncpus`, `setNcpus`:
 * growing and shrinking lose no queued job), and read per-node statistics,
 * printed like pp's `print_stats`. `layer` serves jobs on the `WorkerPool` in
 * context (one node, "local"); cluster mode serves the same API over many
 * machines. The server is scoped: leaving its scope interrupts its jobs.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const server = yield* JobServer.JobServer
 *   const ncpus = yield* server.ncpus
 *   const jobs = yield* Effect.forEach(Array.from({ length: ncpus }, (_, i) => i), (i) =>
 *     server.submit(new CoreMessage({ message: "hello FLOSS", core: i })))
 *   for (const job of jobs) console.log(yield* job)
 *   yield* server.printStats
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type { InvalidOptions, WorkerPoolError } from "../Errors.js"
import * as internal from "../internal/jobServer.js"
import type * as Job from "../Job.js"
import type * as Task from "../Task.js"
import type { WorkerPool } from "./WorkerPool.js"

/**
 * Statistics of one node: pp's `get_stats`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeStats {
  readonly node: string
  readonly cores: number
  readonly jobs: number
  /** Total time the node's jobs ran, in milliseconds. */
  readonly totalMillis: number
  readonly meanMillis: number
}

/**
 * Statistics of a job server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly nodes: ReadonlyArray<NodeStats>
  readonly jobs: number
  /** Milliseconds since the server started. */
  readonly uptimeMillis: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace JobServer {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface SubmitOptions<A, E> {
    /** A group the job belongs to, for `wait(group)`. Defaults to "default". */
    readonly group?: string | undefined
    /** Runs when the job is done, with its exit (pp's `callback`). */
    readonly onDone?: ((exit: Exit.Exit<A, E>) => Effect.Effect<void>) | undefined
  }
}

/**
 * The job server's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobServerService {
  /** Submits a task as a job; `yield*` the job for its typed result. */
  readonly submit: <T extends Task.Any>(
    task: T,
    options?: JobServer.SubmitOptions<Task.Success<T>, Task.Failure<T> | WorkerPoolError>
  ) => Effect.Effect<Job.Job<Task.Success<T>, Task.Failure<T> | WorkerPoolError>>
  /** Waits until every job of `group` (or every job, without a group) submitted so far is done. */
  readonly wait: (group?: string) => Effect.Effect<void>
  /** The number of local workers. */
  readonly ncpus: Effect.Effect<number>
  /** Changes the number of local workers while jobs run, losing no queued job. */
  readonly setNcpus: (n: number) => Effect.Effect<void, InvalidOptions>
  /** Per-node statistics. */
  readonly stats: Effect.Effect<Stats>
  /** The statistics as pp's `print_stats` table. */
  readonly statsTable: Effect.Effect<string>
  /** Prints `statsTable` to the console. */
  readonly printStats: Effect.Effect<void>
  /** The nodes serving jobs now, with their cores. */
  readonly activeNodes: Effect.Effect<ReadonlyArray<{ readonly node: string; readonly cores: number }>>
}

/**
 * The `JobServer` service tag.
 *
 * @since 0.1.0
 * @category services
 */
export class JobServer extends Context.Tag("effect-parallel/JobServer")<JobServer, JobServerService>() {}

/**
 * A job server on the `WorkerPool` in context: one node, "local".
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<JobServer, never, WorkerPool> = Layer.scoped(JobServer, internal.makeLocal)

/**
 * Formats statistics as pp's `print_stats` table.
 *
 * @since 0.1.0
 * @category combinators
 */
export const formatStats: (stats: Stats) => string = internal.formatStats
