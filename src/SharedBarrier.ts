/**
 * A barrier in shared memory: multiprocessing's `Barrier` for worker
 * threads.
 *
 * A `SharedBarrier` is made for a number of parties. Each party, in the main
 * program or in a task on any worker thread, calls `await`; none returns
 * until all of them have arrived, and then all are released together. The
 * barrier is then ready for the next round (a new generation). Pass it to a
 * task as a payload field declared with `SharedBarrier.schema`.
 *
 * A barrier breaks when a waiting party gives up (its `timeout` passes, or it
 * is interrupted) or on `abort`: every party waiting in that generation, and
 * every later `await`, fails with `BarrierBroken` until `reset`. This is
 * multiprocessing's behaviour, and it keeps the other parties from waiting
 * forever for one that left.
 *
 * Waiting never blocks a thread (`Atomics.waitAsync`) and stays
 * interruptible.
 *
 * Gotchas:
 * - There is no barrier `action`: run it in the party whose `await` returned
 *   `parties - 1` (the last to arrive), or after a second `await`.
 * - Child processes cannot share memory; see `SharedLock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SharedBarrier } from "effect-parallel"
 *
 * // in each of 4 tasks sharing `barrier` (made with SharedBarrier.make(4)):
 * const step = (barrier: SharedBarrier.SharedBarrier) =>
 *   Effect.gen(function*() {
 *     yield* computeMyPart
 *     yield* SharedBarrier.await(barrier) // all 4 parts are done past this line
 *   })
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import * as internal from "./internal/sharedBarrier.js"

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
 * A barrier in shared memory. Every handle over the same `buffer`, in any
 * thread, is the same barrier.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedBarrier extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The shared memory that holds the barrier's state. */
  readonly buffer: SharedArrayBuffer
  /** How many parties each generation waits for. */
  readonly parties: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedBarrier {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /**
     * How long to wait for the other parties. When it passes, this party
     * fails with `BarrierTimeout` and the barrier breaks.
     */
    readonly timeout: Duration.DurationInput
  }

  /**
   * How a barrier crosses into a worker thread: the memory it lives in.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
  }
}

/**
 * The barrier is broken: a party gave up waiting, or it was aborted. Every
 * `await` fails with this until `reset`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BarrierBroken extends Schema.TaggedError<BarrierBroken>("effect-parallel/BarrierBroken")(
  "BarrierBroken",
  {}
) {
  override get message(): string {
    return "the SharedBarrier is broken (a party gave up, or it was aborted); reset it to use it again"
  }
}

/**
 * This party waited longer than its timeout for the others. The barrier is
 * now broken.
 *
 * @since 0.1.0
 * @category errors
 */
export class BarrierTimeout extends Schema.TaggedError<BarrierTimeout>("effect-parallel/BarrierTimeout")(
  "BarrierTimeout",
  { millis: Schema.Number }
) {
  override get message(): string {
    return `not every party reached the SharedBarrier within ${this.millis} ms; the barrier is now broken`
  }
}

/**
 * The largest number of parties a barrier can have.
 *
 * @since 0.1.0
 * @category constructors
 */
export const maxParties: number = internal.MAX_PARTIES

/**
 * Makes a barrier for `parties` parties (an integer from 1 to `maxParties`;
 * anything else is a defect).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (parties: number) => Effect.Effect<SharedBarrier> = internal.make

/**
 * Makes a barrier outside of an Effect (throws a `RangeError` on a bad
 * count).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (parties: number) => SharedBarrier = internal.unsafeMake

/**
 * The Schema of a barrier as a task payload field (or a task's result): it
 * crosses into worker threads as its `SharedArrayBuffer`, and decodes into a
 * handle over the same memory.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<SharedBarrier, SharedBarrier.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedBarrier: (u: unknown) => u is SharedBarrier = internal.isSharedBarrier

/**
 * Arrives at the barrier and waits for the other parties; exported as
 * `await`.
 *
 * @since 0.1.0
 * @category combinators
 */
const _await: {
  (self: SharedBarrier): Effect.Effect<number, BarrierBroken>
  (self: SharedBarrier, options: SharedBarrier.TimeoutOptions): Effect.Effect<number, BarrierBroken | BarrierTimeout>
} = (self: SharedBarrier, options?: SharedBarrier.TimeoutOptions): Effect.Effect<number, BarrierBroken> =>
  internal.await_(
    self,
    options?.timeout,
    () => new BarrierBroken(),
    (millis) => new BarrierTimeout({ millis })
  ) as Effect.Effect<number, BarrierBroken>

export {
  /**
   * Arrives at the barrier and waits until all its parties have arrived;
   * then they are all released together. Succeeds with this party's arrival
   * index in the generation, from 0 (first) to `parties - 1` (last), different
   * for each party.
   *
   * Fails with `BarrierBroken` if the barrier is or becomes broken while
   * waiting. With a `timeout`, a party that waits longer fails with
   * `BarrierTimeout` and breaks the barrier; interrupting a waiting party
   * breaks it too.
   *
   * @since 0.1.0
   * @category combinators
   */
  _await as await
}

/**
 * Breaks the barrier: parties waiting now, and every later `await`, fail
 * with `BarrierBroken` until `reset`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const abort: (self: SharedBarrier) => Effect.Effect<void> = internal.abort

/**
 * Returns the barrier to its empty, unbroken state in a new generation.
 * Parties waiting at that moment fail with `BarrierBroken`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const reset: (self: SharedBarrier) => Effect.Effect<void> = internal.reset

/**
 * How many parties are waiting at the barrier right now (a snapshot; 0 when
 * broken).
 *
 * @since 0.1.0
 * @category getters
 */
export const waiting: (self: SharedBarrier) => Effect.Effect<number> = internal.waiting

/**
 * Whether the barrier is broken right now.
 *
 * @since 0.1.0
 * @category getters
 */
export const isBroken: (self: SharedBarrier) => Effect.Effect<boolean> = internal.isBroken
