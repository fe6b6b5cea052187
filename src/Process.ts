/**
 * `Process`: one dedicated worker running one task (multiprocessing's
 * `Process(target, args)`), as a scoped resource.
 *
 * `spawn` starts a fresh worker thread or child process from a worker module
 * and runs the task in it; `join` waits for the typed result and for the
 * worker to exit, `terminate` interrupts the task and lets the worker end,
 * `kill` ends it at once. Leaving the scope ends the worker in any case.
 * A worker's console output reaches the parent's stdout as it is written
 * (child processes share the parent's stdout; threads forward theirs).
 *
 * @example
 * ```ts
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const p = yield* Process.spawn(new Greet({ name: "Rich" }), { module: workerUrl, kind: "process" })
 *   console.log(p.pid)
 *   yield* p.join
 *   console.log(yield* p.exitCode) // Option.some(0)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type { InvalidOptions, SpawnError, WorkerPoolError } from "./Errors.js"
import type { NodeWorkerPool } from "./layers/NodeWorkerPool.js"
import { makeCore } from "./internal/nodePool.js"
import { make as makeWorkerPool } from "./internal/workerPool.js"
import type * as Task from "./Task.js"

/**
 * A running dedicated worker.
 *
 * @since 0.1.0
 * @category models
 */
export interface Process<A, E> {
  /** The child process's pid; for a thread, this process's pid. */
  readonly pid: number | undefined
  /** The worker thread's id; undefined for a child process. */
  readonly threadId: number | undefined
  /**
   * Waits for the task's result, then for the worker to exit. After `terminate` the task has no result and `join`
   * is interrupted, as `Fiber.join` of an interrupted fiber is: wait with `Effect.exit(p.join)`, or read `exitCode`.
   */
  readonly join: Effect.Effect<A, E | WorkerPoolError>
  /** Interrupts the task and waits for the worker to end (terminated after the interrupt grace if it is stuck). */
  readonly terminate: Effect.Effect<void>
  /** Ends the worker at once (SIGKILL for a process). */
  readonly kill: Effect.Effect<void>
  /** The worker's exit code once it has exited. */
  readonly exitCode: Effect.Effect<Option.Option<number>>
  /** The signal that ended the child process, if one did. */
  readonly signal: Effect.Effect<Option.Option<string>>
  /** Whether the worker is still running. */
  readonly isAlive: Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Process {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options
    extends Omit<NodeWorkerPool.Options, "size" | "concurrency" | "maxQueue" | "maxTasksPerWorker">
  {
    /** A worker thread (default) or a child process. */
    readonly kind?: "thread" | "process" | undefined
  }
}

/**
 * Starts a dedicated worker and runs `task` in it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const spawn = <T extends Task.Any>(
  task: T,
  options: Process.Options
): Effect.Effect<Process<Task.Success<T>, Task.Failure<T>>, SpawnError | InvalidOptions, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const { core } = yield* Scope.extend(makeCore(options.kind ?? "thread", { ...options, size: 1 }), scope)
    const worker = core.workers()[0]!
    const exited = Effect.async<void>((resume) => worker.whenExited(() => resume(Effect.void)))
    const pool = makeWorkerPool(core, 1, 1)
    // the worker ends once its task is done: a pool of one that shrinks to none
    const fiber = yield* pool.run(task).pipe(
      Effect.ensuring(Effect.sync(() => core.resize(0))),
      Effect.forkIn(scope)
    )
    return {
      pid: worker.pid,
      threadId: worker.threadId,
      // the task's failure too waits for the worker to exit
      join: Effect.flatten(Effect.zipLeft(Effect.exit(Fiber.join(fiber)), exited)),
      terminate: Effect.zipRight(Fiber.interrupt(fiber), exited),
      kill: Effect.zipRight(Effect.sync(() => worker.kill()), exited),
      exitCode: Effect.sync(() => Option.fromNullable(worker.exit()?.code)),
      signal: Effect.sync(() => Option.fromNullable(worker.exit()?.signal)),
      isAlive: Effect.sync(() => worker.alive())
    }
  })
