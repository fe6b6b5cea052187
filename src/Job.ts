/**
 * A task submitted to a pool and running in the background: multiprocessing's
 * `AsyncResult` and Parallel Python's job, as an Effect handle.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-parallel/Job")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A running task: await its typed result (or simply `yield*` the job), poll
 * it without waiting, wait for it with a timeout, or interrupt it (which
 * interrupts it in its worker).
 *
 * @since 0.1.0
 * @category models
 */
export interface Job<A, E> extends Effect.Effect<A, E> {
  readonly [TypeId]: TypeId
  /** Waits for the result: the task's success, its declared failure, or an infrastructure error. */
  readonly await: Effect.Effect<A, E>
  /** The exit if the task has finished, without waiting (multiprocessing `ready()` + `get()`). */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<A, E>>>
  /** Whether the task has finished. */
  readonly finished: Effect.Effect<boolean>
  /** Waits at most `timeout` for the result; `None` if it is not done by then. The task keeps running. */
  readonly awaitTimeout: (timeout: Duration.DurationInput) => Effect.Effect<Option.Option<A>, E>
  /** Interrupts the task in its worker and waits until it has stopped. */
  readonly interrupt: Effect.Effect<void>
}

class JobImpl<A, E> extends Effectable.Class<A, E> implements Job<A, E> {
  readonly [TypeId]: TypeId = TypeId
  constructor(readonly fiber: Fiber.RuntimeFiber<A, E>) {
    super()
  }
  commit(): Effect.Effect<A, E> {
    return Fiber.join(this.fiber)
  }
  get await(): Effect.Effect<A, E> {
    return Fiber.join(this.fiber)
  }
  get poll(): Effect.Effect<Option.Option<Exit.Exit<A, E>>> {
    return Fiber.poll(this.fiber)
  }
  get finished(): Effect.Effect<boolean> {
    return Effect.map(Fiber.poll(this.fiber), (exit) => exit._tag === "Some")
  }
  awaitTimeout(timeout: Duration.DurationInput): Effect.Effect<Option.Option<A>, E> {
    return Fiber.await(this.fiber).pipe(
      Effect.timeoutOption(timeout),
      Effect.flatMap((exit) => exit._tag === "None" ? Effect.succeedNone : Effect.asSome(exit.value))
    )
  }
  get interrupt(): Effect.Effect<void> {
    return Effect.asVoid(Fiber.interrupt(this.fiber))
  }
}

/**
 * A Job without a fiber behind it: whoever runs the task completes it once with
 * `complete`; `cancel` is called when the job is interrupted first, and calls
 * back once the task has stopped. Submitting then costs no fiber per task,
 * like a promise-returning pool call.
 */
class CellJob<A, E> extends Effectable.Class<A, E> implements Job<A, E> {
  readonly [TypeId]: TypeId = TypeId
  private exit: Exit.Exit<A, E> | undefined = undefined
  private waiters: Array<(exit: Exit.Exit<A, E>) => void> | undefined = undefined
  constructor(private readonly cancel: (onStopped: () => void) => void) {
    super()
  }
  complete(exit: Exit.Exit<A, E>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) for (const f of waiters) f(exit)
  }
  commit(): Effect.Effect<A, E> {
    return this.await
  }
  get await(): Effect.Effect<A, E> {
    return Effect.async<A, E>((resume) => {
      if (this.exit !== undefined) return resume(this.exit)
      const waiter = (exit: Exit.Exit<A, E>) => resume(exit)
      ;(this.waiters ??= []).push(waiter)
      return Effect.sync(() => {
        const i = this.waiters?.indexOf(waiter) ?? -1
        if (i >= 0) this.waiters!.splice(i, 1)
      })
    })
  }
  get poll(): Effect.Effect<Option.Option<Exit.Exit<A, E>>> {
    return Effect.sync(() => Option.fromNullable(this.exit))
  }
  get finished(): Effect.Effect<boolean> {
    return Effect.sync(() => this.exit !== undefined)
  }
  awaitTimeout(timeout: Duration.DurationInput): Effect.Effect<Option.Option<A>, E> {
    return Effect.flatMap(Effect.timeoutOption(Effect.exit(this.await), timeout), (exit) =>
      Option.isNone(exit) ? Effect.succeedNone : Effect.asSome(exit.value))
  }
  get interrupt(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.exit !== undefined) return resume(Effect.void)
      this.cancel(() => resume(Effect.void))
      this.complete(Exit.interrupt(FiberId.none))
    })
  }
}

/**
 * Makes a Job that is completed from outside: `run` starts the task and calls
 * `done` once with its exit; it returns how to cancel the task, which calls
 * `onStopped` once the task has stopped (`interrupt` waits for that). Nothing
 * is forked: for pools whose tasks already run elsewhere (a worker), a job
 * costs an object, not a fiber.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = <A, E>(
  run: (done: (exit: Exit.Exit<A, E>) => void) => (onStopped: () => void) => void
): Job<A, E> => {
  let cancel: ((onStopped: () => void) => void) | undefined
  const job = new CellJob<A, E>((onStopped) => cancel === undefined ? onStopped() : cancel(onStopped))
  cancel = run((exit) => job.complete(exit))
  return job
}

/**
 * Makes a Job from the fiber that runs the task.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFiber = <A, E>(fiber: Fiber.RuntimeFiber<A, E>): Job<A, E> => new JobImpl(fiber)

/**
 * @since 0.1.0
 * @category guards
 */
export const isJob = (u: unknown): u is Job<unknown, unknown> => typeof u === "object" && u !== null && TypeId in u
