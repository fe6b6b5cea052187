/**
 * A flag in shared memory that fibers can wait for: multiprocessing's `Event`
 * for worker threads.
 *
 * A `SharedEvent` is set or clear. `wait` returns at once when it is set, and
 * otherwise waits until some fiber, in the main program or in any worker
 * thread, sets it; every waiter is woken. Pass it to a task as a payload field
 * declared with `SharedEvent.schema`.
 *
 * Waiting never blocks a thread (`Atomics.waitAsync`) and stays
 * interruptible. A waiter woken by `set` returns even if the event was
 * cleared again before it ran, as multiprocessing's `Event.wait` does.
 *
 * Gotcha: child processes cannot share memory; see `SharedLock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SharedEvent } from "effect-parallel"
 *
 * const program = Effect.gen(function*() {
 *   const ready = yield* SharedEvent.make()
 *   // hand `ready` to tasks; each waits with `SharedEvent.wait(ready)`
 *   yield* SharedEvent.set(ready) // wakes them all
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import * as internal from "./internal/sharedEvent.js"

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
 * An event in shared memory. Every handle over the same `buffer`, in any
 * thread, is the same event.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedEvent extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The shared memory that holds the flag. */
  readonly buffer: SharedArrayBuffer
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedEvent {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Whether the event starts set. Defaults to `false`. */
    readonly set?: boolean | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /** How long to wait for the event before failing with `EventTimeout`. */
    readonly timeout: Duration.DurationInput
  }

  /**
   * How an event crosses into a worker thread: the memory it lives in.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
  }
}

/**
 * The event was not set within the timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class EventTimeout extends Schema.TaggedError<EventTimeout>("effect-parallel/EventTimeout")("EventTimeout", {
  millis: Schema.Number
}) {
  override get message(): string {
    return `the SharedEvent was not set within ${this.millis} ms`
  }
}

/**
 * Makes an event, clear unless `set: true`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: SharedEvent.Options) => Effect.Effect<SharedEvent> = internal.make

/**
 * Makes an event outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (options?: SharedEvent.Options) => SharedEvent = internal.unsafeMake

/**
 * The Schema of an event as a task payload field (or a task's result): it
 * crosses into worker threads as its `SharedArrayBuffer`, and decodes into a
 * handle over the same memory.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<SharedEvent, SharedEvent.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedEvent: (u: unknown) => u is SharedEvent = internal.isSharedEvent

/**
 * Sets the event and wakes every waiter, in every thread.
 *
 * @since 0.1.0
 * @category combinators
 */
export const set: (self: SharedEvent) => Effect.Effect<void> = internal.set

/**
 * Clears the event: later waiters wait until it is set again.
 *
 * @since 0.1.0
 * @category combinators
 */
export const clear: (self: SharedEvent) => Effect.Effect<void> = internal.clear

/**
 * Whether the event is set right now.
 *
 * @since 0.1.0
 * @category getters
 */
export const isSet: (self: SharedEvent) => Effect.Effect<boolean> = internal.isSet

/**
 * Waits until the event is set (at once if it is). With a `timeout`, fails
 * with `EventTimeout` if it is not set in time.
 *
 * @since 0.1.0
 * @category combinators
 */
export const wait: {
  (self: SharedEvent): Effect.Effect<void>
  (self: SharedEvent, options: SharedEvent.TimeoutOptions): Effect.Effect<void, EventTimeout>
} = (self: SharedEvent, options?: SharedEvent.TimeoutOptions): Effect.Effect<void> =>
  internal.wait(self, options?.timeout, (millis) => new EventTimeout({ millis })) as Effect.Effect<void>
