/**
 * The `WorkerPool` service: run typed tasks on a pool of workers.
 *
 * A program asks for `WorkerPool` in its context and gets it from a layer:
 * `NodeWorkerPool.layerThreads` / `layerProcesses` run the tasks on worker
 * threads or child processes. Every operation keeps the same contract on every
 * layer: a task's declared failure arrives typed, infrastructure failures are
 * the tagged errors of `Errors`, interrupting the caller interrupts the task in
 * its worker, and the queue in front of the workers is bounded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-parallel"
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* WorkerPool.WorkerPool
 *   const nine = yield* pool.run(new Square({ x: 3 }))
 *   const squares = yield* pool.map([1, 2, 3, 4], (x) => new Square({ x }))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import type * as Scope from "effect/Scope"
import type { EncodeError, InvalidOptions, WorkerCrashed, WorkerPoolError } from "../Errors.js"
import type { TaskChannel } from "../TaskChannel.js"
import type * as Job from "../Job.js"
import type * as Task from "../Task.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-parallel/WorkerPool")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What a task of type `T` can fail with on a pool.
 *
 * @since 0.1.0
 * @category models
 */
export type Error<T> = Task.Failure<T> | WorkerPoolError

/**
 * Input to `map` and `stream`: an array, any iterable (read lazily, so it may
 * be infinite), or a Stream.
 *
 * @since 0.1.0
 * @category models
 */
export type Input<A, E = never, R = never> = Iterable<A> | Stream.Stream<A, E, R>

/**
 * Anything `postMessage` can transfer besides an ArrayBuffer (a MessagePort, for instance).
 *
 * @since 0.1.0
 * @category models
 */
export interface MessagePortLike {
  readonly postMessage: (value: unknown) => void
}

/**
 * A result of `streamUnordered`: the value and the index of the input it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Indexed<A> {
  readonly index: number
  readonly value: A
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace WorkerPool {
  /**
   * Options of a broadcast.
   *
   * @since 0.1.0
   * @category models
   */
  export interface BroadcastOptions {
    /** Fail with `TaskTimeout` if the task runs longer than this on a worker, counted from its start there. */
    readonly timeout?: Duration.DurationInput | undefined
  }

  /**
   * Options of a single task.
   *
   * @since 0.1.0
   * @category models
   */
  export interface RunOptions {
    /** Fail with `TaskTimeout` if the task runs longer than this, counted from its start on a worker. */
    readonly timeout?: Duration.DurationInput | undefined
    /**
     * Run in a fresh worker that is discarded after the task (pprocess's
     * `reuse=0`). Workers are reused by default; at most `size` isolated
     * workers run at once.
     */
    readonly isolate?: boolean | undefined
    /**
     * Called when the task starts on a worker (such a task is never queued inside a busy worker). If it throws,
     * the task is not sent and fails with that defect; the pool goes on.
     */
    readonly onStart?: (() => void) | undefined
    /**
     * Buffers in the payload to move to a worker thread instead of copying
     * them (they are unusable here afterwards), besides those its Schema
     * declares with `Task.transferable`. A handler moves buffers of its
     * result back with `Transferable.addAll` from `@effect/platform`, or by
     * declaring them in the success Schema.
     * Child processes copy. A list a thread cannot take (something that is
     * neither a buffer nor a port, a buffer listed twice) fails the task with
     * `EncodeError`.
     */
    readonly transfer?: ReadonlyArray<ArrayBuffer | MessagePortLike> | undefined
    /**
     * Run the task again when its worker crashes under it (`WorkerCrashed`),
     * as often and as late as this Schedule allows: `Schedule.recurs(2)`, or
     * with a backoff. Only crashes are retried, not the task's own failures,
     * defects or timeouts. For `map` and `stream`, a chunk whose worker
     * crashed runs again whole. Without it, a crash fails the caller.
     */
    readonly retry?: Schedule.Schedule<unknown, WorkerCrashed> | undefined
  }

  /**
   * Options of `map`, `stream` and `streamUnordered`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface MapOptions extends RunOptions {
    /**
     * Items per message. `"auto"` (the default) picks about four chunks per
     * worker for arrays, and adapts the size to the measured time per item
     * for iterables and Streams. With a `timeout`, one: the timeout counts
     * for each task.
     */
    readonly chunkSize?: number | "auto" | undefined
    /** How many chunks may be in flight at once. Defaults to twice the pool's capacity. */
    readonly concurrency?: number | undefined
    /**
     * Called as results come back: how many items are done, and how many
     * there are when the input is an array (see `Parallel.progressBar`).
     */
    readonly onProgress?: ((progress: Progress) => void) | undefined
  }
}

/**
 * The progress of a `map` or `stream`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly done: number
  readonly total: number | undefined
}

/**
 * The pool's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerPool {
  readonly [TypeId]: TypeId
  /** The number of workers ready to take work now. */
  readonly size: Effect.Effect<number>
  /** How many tasks may run at once: the number of workers (as last set, by `resize` too) times their concurrency. */
  readonly capacity: number
  /**
   * Grows or shrinks the pool while it runs: new workers start at once;
   * removed workers finish the tasks they hold and end. Nothing queued is lost.
   */
  readonly resize: (size: number) => Effect.Effect<void, InvalidOptions>
  /** Runs one task and waits for its result (multiprocessing `apply`). */
  readonly run: <T extends Task.Any>(
    task: T,
    options?: WorkerPool.RunOptions
  ) => Effect.Effect<Task.Success<T>, Error<T>>
  /**
   * Starts one task in the background and returns its `Job` (multiprocessing
   * `apply_async`). The job lives in the pool's scope: closing the pool interrupts it.
   */
  readonly submit: <T extends Task.Any>(
    task: T,
    options?: WorkerPool.RunOptions
  ) => Effect.Effect<Job.Job<Task.Success<T>, Error<T>>>
  /**
   * Runs a task for every input item and collects the results in input order (multiprocessing `map`). It stops at
   * the first failure, as `Effect.forEach` does: the chunks still in flight are interrupted in their workers and
   * the map fails once they have stopped; an interrupted map returns once they have.
   */
  readonly map: <A, T extends Task.Any, E = never, R = never>(
    items: Input<A, E, R>,
    f: (item: A, index: number) => T,
    options?: WorkerPool.MapOptions
  ) => Effect.Effect<Array<Task.Success<T>>, Error<T> | E, R>
  /** Like `map`, as a Stream in input order, pulling its input lazily (multiprocessing `imap`). */
  readonly stream: <A, T extends Task.Any, E = never, R = never>(
    items: Input<A, E, R>,
    f: (item: A, index: number) => T,
    options?: WorkerPool.MapOptions
  ) => Stream.Stream<Task.Success<T>, Error<T> | E, R>
  /** Like `stream`, in completion order, each result with its input index (multiprocessing `imap_unordered`). */
  readonly streamUnordered: <A, T extends Task.Any, E = never, R = never>(
    items: Input<A, E, R>,
    f: (item: A, index: number) => T,
    options?: WorkerPool.MapOptions
  ) => Stream.Stream<Indexed<Task.Success<T>>, Error<T> | E, R>
  /**
   * Starts a channel task and opens its channel for the life of the scope
   * (untyped: use `TaskChannel.Class`'s `open` for the typed channel).
   */
  readonly openChannel: (
    task: Task.Any,
    options?: WorkerPool.RunOptions
  ) => Effect.Effect<TaskChannel<any, any, any, any>, EncodeError, Scope.Scope>
  /**
   * Runs the task once on every ready worker and collects the results, once every worker has answered (the first
   * failure in worker order, if any). A `timeout` counts on each worker; each worker gets its own copy of the payload.
   */
  readonly broadcast: <T extends Task.Any>(
    task: T,
    options?: WorkerPool.BroadcastOptions
  ) => Effect.Effect<Array<Task.Success<T>>, Error<T>>
}

/**
 * The `WorkerPool` service tag.
 *
 * @since 0.1.0
 * @category services
 */
export const WorkerPool: Context.Tag<WorkerPool, WorkerPool> = Context.GenericTag<WorkerPool>(
  "effect-parallel/WorkerPool"
)
