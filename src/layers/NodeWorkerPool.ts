/**
 * `WorkerPool` layers for Node: worker threads and child processes.
 *
 * Both load the same worker module (one that default-exports a `TaskRunner`),
 * `.ts` in development and tests (through tsx, no loader flags needed) and
 * `.js` in production. Threads start faster and can share memory and transfer
 * buffers; child processes isolate native crashes and memory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeWorkerPool, Parallel } from "effect-parallel"
 *
 * const PoolLive = NodeWorkerPool.layerThreads({
 *   module: new URL("./square.worker.ts", import.meta.url)
 * })
 *
 * Parallel.map([1, 2, 3, 4], (x) => new Square({ x })).pipe(
 *   Effect.provide(PoolLive),
 *   Effect.runPromise
 * ) // [1, 4, 9, 16]
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import type { ResourceLimits } from "node:worker_threads"
import type { InvalidOptions, SpawnError } from "../Errors.js"
import { makeCore } from "../internal/nodePool.js"
import { make as makeWorkerPool } from "../internal/workerPool.js"
import { WorkerPool } from "../services/WorkerPool.js"

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace NodeWorkerPool {
  /**
   * Options of a Node worker pool.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The worker module: a path or URL of a module that default-exports a `TaskRunner`. */
    readonly module: string | URL
    /** The number of workers. Defaults to `os.availableParallelism()`. */
    readonly size?: number | undefined
    /** How many tasks each worker runs at once (for tasks that wait on I/O). Defaults to 1. */
    readonly concurrency?: number | undefined
    /** How many tasks may wait for a worker before callers wait for room. Defaults to 10,000. */
    readonly maxQueue?: number | undefined
    /**
     * How long an interrupted or timed-out task may take to stop before its
     * worker is terminated and replaced (a task stuck in a synchronous loop
     * never stops on its own). Also how long closing the pool waits for a
     * worker before killing it. Defaults to 1 second.
     */
    readonly interruptGrace?: Duration.DurationInput | undefined
    /**
     * Replace a worker after it has run this many tasks (multiprocessing's
     * `maxtasksperchild`); its replacement starts at once. Defaults to no limit.
     */
    readonly maxTasksPerWorker?: number | undefined
    /**
     * Replace a worker whose V8 heap is above this many MiB after a task
     * (it finishes what it holds; its replacement starts at once).
     */
    readonly maxHeapMb?: number | undefined
    /** Consecutive failed starts of a worker before the pool gives up with a `SpawnError`. Defaults to 3. */
    readonly spawnAttempts?: number | undefined
    /** How long a worker may take to load its module and build its Layer. Defaults to 30 seconds. */
    readonly spawnTimeout?: Duration.DurationInput | undefined
    /** Node flags for each worker. */
    readonly execArgv?: ReadonlyArray<string> | undefined
    /** Extra environment variables for each worker. */
    readonly env?: Readonly<Record<string, string>> | undefined
    /**
     * How long, at most, a worker thread that has replied and has nothing
     * left to run keeps polling for its next task before it goes to sleep
     * (threads only). A caller that awaits each result and then sends its
     * next task finds the worker awake: on a virtual machine, waking a
     * sleeping thread costs tens of microseconds. The window adapts: it
     * halves each time it catches nothing, down to none at all, and grows
     * back when tasks come sooner than this, so a worker that is sent work
     * rarely does not spin. Workers poll only while the pool has one task in
     * flight and none queued (so not while a `map`, a `stream` or many
     * callers keep several in flight), and only as long as the busy or
     * polling worker threads of the process's polling pools (at most 64
     * threads, the first to start) leave a core to the main thread. A polling
     * worker still lets its event loop turn (its timers and I/O) at least
     * every millisecond plus one window. A longer window catches
     * slower callers, but on a machine with few cores the main thread may be
     * woken on the polling worker's core and wait for the window to end.
     * Defaults to `"100 micros"`; 0 turns it off (the only value child
     * processes take: they never poll).
     */
    readonly idleSpin?: Duration.DurationInput | undefined
    /** V8 heap limits of each worker thread (threads only). */
    readonly resourceLimits?: ResourceLimits | undefined
    /**
     * Bundle the worker module and everything it imports into one file with
     * esbuild (an optional peer dependency) and start workers from it: a
     * worker then loads one module instead of hundreds, and starts several
     * times faster (TypeScript modules need no loader either). The bundle is
     * cached (by default in `node_modules/.cache/effect-parallel` of the
     * nearest folder above the module with a `node_modules`) and rebuilt
     * when any of its inputs changes. `external` lists packages to
     * load from node_modules instead (native addons); they are resolved from
     * the bundle's location, so keep `cacheDir` inside the project (as the
     * default is). Code that finds files from `import.meta.url` sees the
     * bundle's location. Defaults to false.
     */
    readonly bundle?: boolean | {
      readonly cacheDir?: string | undefined
      readonly external?: ReadonlyArray<string> | undefined
    } | undefined
  }
}

/**
 * The number of cores this process may use (`os.availableParallelism()`),
 * the default size of a pool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cpuCount: number = os.availableParallelism()

/**
 * Starts a pool in the current scope; closing the scope interrupts in-flight
 * tasks and ends every worker it started. Fails with `SpawnError` if a worker
 * cannot start after `spawnAttempts` tries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  kind: "thread" | "process",
  options: NodeWorkerPool.Options
): Effect.Effect<WorkerPool, SpawnError | InvalidOptions, Scope.Scope> =>
  Effect.map(makeCore(kind, options), ({ concurrency, core, size }) => makeWorkerPool(core, size, concurrency))


/**
 * A `WorkerPool` of worker threads.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerThreads = (options: NodeWorkerPool.Options): Layer.Layer<WorkerPool, SpawnError | InvalidOptions> =>
  Layer.scoped(WorkerPool, make("thread", options))

/**
 * A `WorkerPool` of child processes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerProcesses = (
  options: NodeWorkerPool.Options
): Layer.Layer<WorkerPool, SpawnError | InvalidOptions> => Layer.scoped(WorkerPool, make("process", options))
