/**
 * A mutual-exclusion lock in shared memory: multiprocessing's `Lock` and
 * `RLock` for worker threads.
 *
 * A `SharedLock` lives in a `SharedArrayBuffer`, so the same lock is held and
 * waited on by the main program and by tasks running in any worker thread.
 * Hand it to a task as a payload field declared with `SharedLock.schema`: the
 * worker gets a handle over the same memory, not a copy.
 *
 * Waiting never blocks a thread: waiters park on `Atomics.waitAsync`, so the
 * main thread's event loop keeps running and a waiting fiber stays
 * interruptible. An interrupted or timed-out waiter never ends up holding the
 * lock.
 *
 * Gotchas:
 * - Child processes cannot share memory: a task holding a lock cannot be sent
 *   to a process pool (`NodeWorkerPool.layerProcesses`); it fails with an
 *   `EncodeError` at the call site.
 * - A lock held by a worker that is terminated (not interrupted: killed, or
 *   stuck past its interrupt grace) stays locked. Interrupting a task releases
 *   the locks it took with `withLock` or `acquireScoped`.
 * - Waiters are woken in no particular order (not FIFO).
 * - A bare `acquire` (or `tryAcquire`) whose fiber is interrupted just as it
 *   gets the lock can leave the lock held with no owner to release it, as with
 *   any acquire outside a scope: where interruption is possible, use `withLock`
 *   or `acquireScoped`, which release it in every case.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { SharedLock, SharedValue, Task } from "effect-parallel"
 *
 * export class Deposit extends Task.Class<Deposit>()("Deposit", {
 *   payload: { lock: SharedLock.schema, balance: SharedValue.schema("int32"), amount: Schema.Number },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * // in the worker module
 * const deposit = ({ lock, balance, amount }: Deposit) =>
 *   Effect.flatMap(SharedValue.get(balance), (b) => SharedValue.set(balance, b + amount)).pipe(
 *     SharedLock.withLock(lock)
 *   )
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/sharedLock.js"

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
 * A lock in shared memory. Every handle over the same `buffer`, in any
 * thread, is the same lock.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedLock extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The shared memory that holds the lock's state. */
  readonly buffer: SharedArrayBuffer
  /** Whether a fiber that holds the lock may take it again (multiprocessing's `RLock`). */
  readonly reentrant: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedLock {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /**
     * A reentrant lock (multiprocessing's `RLock`) may be acquired again by
     * the fiber that holds it; it is unlocked when every acquisition has been
     * released. Ownership is per fiber: a fiber forked while the lock is held
     * does not hold it. A non-reentrant lock taken twice by the same fiber
     * waits forever, as multiprocessing's `Lock` does. Defaults to `false`.
     */
    readonly reentrant?: boolean | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /** How long to wait for the lock before failing with `LockTimeout`. */
    readonly timeout: Duration.DurationInput
  }

  /**
   * How a lock crosses into a worker thread: the memory it lives in.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
  }
}

/**
 * Waiting for the lock took longer than the timeout. The lock was not taken.
 *
 * @since 0.1.0
 * @category errors
 */
export class LockTimeout extends Schema.TaggedError<LockTimeout>("effect-parallel/LockTimeout")("LockTimeout", {
  millis: Schema.Number
}) {
  override get message(): string {
    return `could not acquire the SharedLock within ${this.millis} ms`
  }
}

const onTimeout = (millis: number) => new LockTimeout({ millis })

/**
 * Makes an unlocked lock.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: SharedLock.Options) => Effect.Effect<SharedLock> = internal.make

/**
 * Makes an unlocked lock, outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (options?: SharedLock.Options) => SharedLock = internal.unsafeMake

/**
 * The Schema of a lock as a task payload field (or a task's result): it
 * crosses into worker threads as its `SharedArrayBuffer`, and decodes into a
 * handle over the same memory.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<SharedLock, SharedLock.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedLock: (u: unknown) => u is SharedLock = internal.isSharedLock

/**
 * Waits until the lock is free and takes it. With a `timeout`, fails with
 * `LockTimeout` if the lock is not taken in time. Interrupting the wait
 * leaves the lock untouched.
 *
 * Pair it with `release`; prefer `withLock` or `acquireScoped`, which release
 * on every exit.
 *
 * @since 0.1.0
 * @category combinators
 */
export const acquire: {
  (self: SharedLock): Effect.Effect<void>
  (self: SharedLock, options: SharedLock.TimeoutOptions): Effect.Effect<void, LockTimeout>
} = (self: SharedLock, options?: SharedLock.TimeoutOptions): Effect.Effect<void> =>
  internal.acquire(self, options?.timeout, onTimeout) as Effect.Effect<void>

/**
 * Takes the lock if it is free, without waiting: `true` if it was taken.
 *
 * @since 0.1.0
 * @category combinators
 */
export const tryAcquire: (self: SharedLock) => Effect.Effect<boolean> = internal.tryAcquire

/**
 * Releases the lock and wakes a waiter. Any fiber in any thread may release
 * a non-reentrant lock (as with multiprocessing's `Lock`); a reentrant lock is
 * released by the fiber that holds it. Releasing a lock that is not locked, or
 * a reentrant lock this fiber does not hold, is a defect.
 *
 * @since 0.1.0
 * @category combinators
 */
export const release: (self: SharedLock) => Effect.Effect<void> = internal.release

/**
 * Runs an effect while holding the lock, and releases it however the effect
 * ends. With a `timeout`, fails with `LockTimeout` (without running the
 * effect) if the lock is not taken in time.
 *
 * @example
 * ```ts
 * effect.pipe(SharedLock.withLock(lock))
 * effect.pipe(SharedLock.withLock(lock, { timeout: "1 second" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withLock: {
  (self: SharedLock): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  (
    self: SharedLock,
    options: SharedLock.TimeoutOptions
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | LockTimeout, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: SharedLock): Effect.Effect<A, E, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    self: SharedLock,
    options: SharedLock.TimeoutOptions
  ): Effect.Effect<A, E | LockTimeout, R>
} = dual(
  (args) => !isSharedLock(args[0]),
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: SharedLock, options?: SharedLock.TimeoutOptions) =>
    internal.withLock(effect, self, options?.timeout, onTimeout)
)

/**
 * Takes the lock for the lifetime of the current scope: it is released when
 * the scope closes. The scoped form of `acquire` (an `Effect.acquireRelease`
 * whose wait stays interruptible).
 *
 * @since 0.1.0
 * @category combinators
 */
export const acquireScoped: {
  (self: SharedLock): Effect.Effect<void, never, Scope.Scope>
  (self: SharedLock, options: SharedLock.TimeoutOptions): Effect.Effect<void, LockTimeout, Scope.Scope>
} = (self: SharedLock, options?: SharedLock.TimeoutOptions): Effect.Effect<void, never, Scope.Scope> =>
  internal.acquireScoped(self, options?.timeout, onTimeout) as Effect.Effect<void, never, Scope.Scope>

/**
 * Whether some fiber, in any thread, holds the lock right now (a snapshot).
 *
 * @since 0.1.0
 * @category getters
 */
export const isLocked: (self: SharedLock) => Effect.Effect<boolean> = internal.isLocked
