/**
 * A task submitted to a pool and running in the background: multiprocessing's
 * `AsyncResult` and Parallel Python's job, as an Effect handle.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"

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
