/**
 * A condition variable in shared memory: multiprocessing's `Condition` for
 * worker threads.
 *
 * A `SharedCondition` pairs a notification counter with a `SharedLock` (its
 * own, or one you pass). Hold the lock (`SharedLock.withLock(condition.lock)`)
 * to check the state it guards, `wait` (or `waitFor` a predicate) to let go
 * of the lock until another thread `notify`s, and `notify` / `notifyAll`
 * after changing that state. The main program and tasks in any worker thread
 * share it: hand it to a task as a payload field declared with
 * `SharedCondition.schema` (its lock travels with it).
 *
 * Waiting never blocks a thread (`Atomics.waitAsync`): the main thread's
 * event loop keeps running and a waiting fiber stays interruptible.
 *
 * Gotchas:
 * - `wait` always takes the lock back before it returns, even when it times
 *   out or is interrupted (the interruption then goes on), so an enclosing
 *   `withLock` releases what it holds. Taking it back waits as long as
 *   another holder keeps it.
 * - Wake-ups may be spurious, and a `notify(1)` may wake more than one waiter
 *   that was just starting to wait: check the state again after `wait`, or use
 *   `waitFor`, which does.
 * - `wait`, `notify` and `notifyAll` without holding the lock are defects. A
 *   plain (non-reentrant) lock has no owner: "held" means held by someone.
 * - Child processes cannot share memory: a task holding a condition cannot be
 *   sent to a process pool; it fails with an `EncodeError` at the call site.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SharedCondition, SharedLock, SharedValue } from "effect-parallel"
 *
 * // a consumer (in any thread) waits until a producer has put something in `stock`
 * const consume = (ready: SharedCondition.SharedCondition, stock: SharedValue.SharedValue) =>
 *   Effect.gen(function*() {
 *     yield* SharedCondition.waitFor(ready, Effect.map(SharedValue.get(stock), (n) => n > 0))
 *     yield* SharedValue.add(stock, -1)
 *   }).pipe(SharedLock.withLock(ready.lock))
 *
 * const produce = (ready: SharedCondition.SharedCondition, stock: SharedValue.SharedValue) =>
 *   Effect.zipRight(SharedValue.add(stock, 1), SharedCondition.notify(ready)).pipe(SharedLock.withLock(ready.lock))
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/sharedCondition.js"
import type { SharedLock } from "./SharedLock.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A condition variable in shared memory, with the lock that guards its state.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedCondition extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The shared memory of the notification counter. */
  readonly buffer: SharedArrayBuffer
  /** The lock to hold while checking or changing the state, and around `wait` and `notify`. */
  readonly lock: SharedLock
}

/**
 * @since 0.1.0
 */
export declare namespace SharedCondition {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The lock to pair with (a reentrant one is let go of completely while waiting). Defaults to a new lock. */
    readonly lock?: SharedLock | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /** How long to wait at most: `wait` and `waitFor` then return false. */
    readonly timeout?: Duration.DurationInput | undefined
  }

  /**
   * How a condition crosses into a worker thread: its memory and its lock's.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
    readonly lock: SharedArrayBuffer
  }
}

/**
 * Makes a condition over `lock`, or over a new (non-reentrant) lock.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: SharedCondition.Options) => Effect.Effect<SharedCondition> = internal.make

/**
 * Makes a condition outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (options?: SharedCondition.Options) => SharedCondition = internal.unsafeMake

/**
 * The Schema of a condition as a task payload field: it crosses into worker
 * threads as its `SharedArrayBuffer`s and decodes into a handle over the same
 * memory, its lock included.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<SharedCondition, SharedCondition.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedCondition: (u: unknown) => u is SharedCondition = internal.isSharedCondition

/**
 * With the lock held: lets go of it, waits until notified, and takes it back.
 * True when notified, false when the `timeout` passed first.
 *
 * @since 0.1.0
 * @category combinators
 */
export const wait = (self: SharedCondition, options?: SharedCondition.TimeoutOptions): Effect.Effect<boolean> =>
  internal.wait(self, options?.timeout)

/**
 * With the lock held: waits (as `wait` does, as many times as needed) until
 * `predicate`, evaluated with the lock held, is true. Returns the last value
 * of the predicate: false if the `timeout` passed first.
 *
 * @since 0.1.0
 * @category combinators
 */
export const waitFor = <E, R>(
  self: SharedCondition,
  predicate: Effect.Effect<boolean, E, R>,
  options?: SharedCondition.TimeoutOptions
): Effect.Effect<boolean, E, R> => internal.waitFor(self, predicate, options?.timeout)

/**
 * With the lock held: wakes up to `n` (default 1) waiters, in any thread.
 *
 * @since 0.1.0
 * @category combinators
 */
export const notify = (self: SharedCondition, n = 1): Effect.Effect<void> => internal.notify(self, n)

/**
 * With the lock held: wakes every waiter, in every thread.
 *
 * @since 0.1.0
 * @category combinators
 */
export const notifyAll: (self: SharedCondition) => Effect.Effect<void> = internal.notifyAll
