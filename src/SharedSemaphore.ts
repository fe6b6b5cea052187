/**
 * A counting semaphore in shared memory: multiprocessing's `Semaphore` for
 * worker threads.
 *
 * A `SharedSemaphore` holds a number of permits in a `SharedArrayBuffer`.
 * Fibers in the main program and in tasks on any worker thread take permits
 * (waiting while too few are left) and give them back, which bounds how many
 * of them do something at once across threads. Pass it to a task as a
 * payload field declared with `SharedSemaphore.schema`.
 *
 * Waiting never blocks a thread (`Atomics.waitAsync`), stays interruptible,
 * and an interrupted or timed-out waiter takes no permits.
 *
 * Gotchas:
 * - Not fair: waiters are not served in arrival order, and a waiter for many
 *   permits can be overtaken by waiters for fewer.
 * - Permits are not owned: `release` may add permits beyond the initial
 *   count (as multiprocessing's `Semaphore`, not `BoundedSemaphore`).
 * - Child processes cannot share memory: see `SharedLock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SharedSemaphore } from "effect-parallel"
 *
 * const downloads = SharedSemaphore.unsafeMake(3)
 * // in any thread: at most 3 downloads at once, across all workers
 * const download = (url: string) => fetchIt(url).pipe(SharedSemaphore.withPermits(downloads, 1))
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
import * as internal from "./internal/sharedSemaphore.js"

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
 * A counting semaphore in shared memory. Every handle over the same
 * `buffer`, in any thread, is the same semaphore.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedSemaphore extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The shared memory that holds the permit count. */
  readonly buffer: SharedArrayBuffer
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedSemaphore {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /** How long to wait for the permits before failing with `SemaphoreTimeout`. */
    readonly timeout: Duration.DurationInput
  }

  /**
   * How a semaphore crosses into a worker thread: the memory it lives in.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
  }
}

/**
 * Waiting for permits took longer than the timeout. No permits were taken.
 *
 * @since 0.1.0
 * @category errors
 */
export class SemaphoreTimeout extends Schema.TaggedError<SemaphoreTimeout>("effect-parallel/SemaphoreTimeout")(
  "SemaphoreTimeout",
  { permits: Schema.Number, millis: Schema.Number }
) {
  override get message(): string {
    return `could not take ${this.permits} permit(s) of the SharedSemaphore within ${this.millis} ms`
  }
}

/**
 * Makes a semaphore with `permits` permits (an integer from 0 to 2^31 - 1;
 * anything else is a defect).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (permits: number) => Effect.Effect<SharedSemaphore> = internal.make

/**
 * Makes a semaphore outside of an Effect (throws a `RangeError` on a bad
 * count).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (permits: number) => SharedSemaphore = internal.unsafeMake

/**
 * The Schema of a semaphore as a task payload field (or a task's result):
 * it crosses into worker threads as its `SharedArrayBuffer`, and decodes into
 * a handle over the same memory.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<SharedSemaphore, SharedSemaphore.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedSemaphore: (u: unknown) => u is SharedSemaphore = internal.isSharedSemaphore

/**
 * Waits until `permits` permits are available and takes them. With a
 * `timeout`, fails with `SemaphoreTimeout` if they are not taken in time.
 *
 * @since 0.1.0
 * @category combinators
 */
export const take: {
  (self: SharedSemaphore, permits: number): Effect.Effect<void>
  (self: SharedSemaphore, permits: number, options: SharedSemaphore.TimeoutOptions): Effect.Effect<
    void,
    SemaphoreTimeout
  >
} = (self: SharedSemaphore, permits: number, options?: SharedSemaphore.TimeoutOptions): Effect.Effect<void> =>
  internal.take(self, permits, options?.timeout, (millis) => new SemaphoreTimeout({ permits, millis })) as Effect.Effect<
    void
  >

/**
 * Takes `permits` permits if they are available, without waiting: `true` if
 * they were taken.
 *
 * @since 0.1.0
 * @category combinators
 */
export const tryTake: {
  (permits: number): (self: SharedSemaphore) => Effect.Effect<boolean>
  (self: SharedSemaphore, permits: number): Effect.Effect<boolean>
} = dual(2, internal.tryTake)

/**
 * Gives back `permits` permits and wakes the waiters.
 *
 * @since 0.1.0
 * @category combinators
 */
export const release: {
  (permits: number): (self: SharedSemaphore) => Effect.Effect<void>
  (self: SharedSemaphore, permits: number): Effect.Effect<void>
} = dual(2, internal.release)

/**
 * Runs an effect while holding `permits` permits, and gives them back however
 * the effect ends. With a `timeout`, fails with `SemaphoreTimeout` (without
 * running the effect) if the permits are not taken in time.
 *
 * @example
 * ```ts
 * effect.pipe(SharedSemaphore.withPermits(semaphore, 1))
 * effect.pipe(SharedSemaphore.withPermits(semaphore, 2, { timeout: "5 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPermits: {
  (self: SharedSemaphore, permits: number): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  (
    self: SharedSemaphore,
    permits: number,
    options: SharedSemaphore.TimeoutOptions
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SemaphoreTimeout, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: SharedSemaphore, permits: number): Effect.Effect<A, E, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    self: SharedSemaphore,
    permits: number,
    options: SharedSemaphore.TimeoutOptions
  ): Effect.Effect<A, E | SemaphoreTimeout, R>
} = dual(
  (args) => !isSharedSemaphore(args[0]),
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    self: SharedSemaphore,
    permits: number,
    options?: SharedSemaphore.TimeoutOptions
  ) =>
    internal.withPermits(effect, self, permits, options?.timeout, (millis) => new SemaphoreTimeout({ permits, millis }))
)

/**
 * The number of permits available right now (a snapshot).
 *
 * @since 0.1.0
 * @category getters
 */
export const available: (self: SharedSemaphore) => Effect.Effect<number> = internal.available
