/**
 * A bounded queue in shared memory: multiprocessing's `Queue` and
 * `JoinableQueue` for worker threads.
 *
 * A `SharedQueue<A>` lives in a `SharedArrayBuffer`: the main program and
 * tasks on any worker thread offer and take on the same queue, many producers
 * and many consumers at once, and every item offered is taken exactly once, in
 * the order offered. Items are encoded with the queue's Schema and serialized
 * (`node:v8`) into a ring buffer; taking one decodes it. Hand the queue to a
 * task as a payload field declared with `SharedQueue.schema(itemSchema)`.
 *
 * The queue is bounded twice: by `capacity` items and by `bytes` of encoded
 * items (each item takes its serialized size plus 4 to 7 bytes of framing).
 * `offer` waits while either bound would be exceeded, `take` waits while the
 * queue is empty; with a `timeout` they fail with `QueueFull` or `QueueEmpty`
 * (Python's `Full` and `Empty`), and `offerNow` / `takeNow` fail with them at
 * once. An item that could never fit the byte bound fails with
 * `MessageTooLarge` without waiting.
 *
 * Waiting never blocks a thread (`Atomics.waitAsync`) and stays
 * interruptible. An interrupted `take` never consumes an item and an
 * interrupted `offer` never writes part of one: an operation either happens
 * whole, or leaves the queue as it was.
 *
 * `shutdown` wakes every waiter with `QueueShutdown`; later offers fail with
 * it, and takes drain what is left before failing with it. Every queue is
 * joinable: `join` waits until every item offered has been marked done with
 * `taskDone`.
 *
 * Gotchas:
 * - Child processes cannot share memory: a task holding a queue cannot be sent
 *   to a process pool; it fails with an `EncodeError` at the call site.
 * - Items cross by value (encoded, then decoded as a new value): shared
 *   handles (`SharedArrayBuffer`s) cannot be items.
 * - A worker terminated (not interrupted) in the middle of an operation can
 *   leave the queue locked.
 * - Waiters are woken in no particular order (not FIFO); items are FIFO.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Parallel, SharedQueue, Task } from "effect-parallel"
 *
 * export class Produce extends Task.Class<Produce>()("Produce", {
 *   payload: { queue: SharedQueue.schema(Schema.String), count: Schema.Number },
 *   success: Schema.Void,
 *   failure: SharedQueue.QueueShutdown
 * }) {}
 *
 * // in the worker module
 * const produce = ({ count, queue }: Produce) =>
 *   Effect.forEach(Array.from({ length: count }, (_, i) => `item ${i}`), (item) => SharedQueue.offer(queue, item), {
 *     discard: true
 *   }).pipe(Effect.catchTag("MessageTooLarge", "ItemEncodeError", Effect.die))
 *
 * // in the main program
 * const program = Effect.gen(function*() {
 *   const queue = yield* SharedQueue.make(Schema.String, { capacity: 100 })
 *   const producer = yield* Parallel.submit(new Produce({ queue, count: 10 }))
 *   const first = yield* SharedQueue.take(queue) // "item 0"
 * })
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
import * as internal from "./internal/sharedQueue.js"

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
 * A queue of `A`s in shared memory. Every handle over the same `buffer`, in
 * any thread, is the same queue.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedQueue<in out A> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The Schema items are encoded with. */
  readonly schema: Schema.Schema<A, any>
  /** The shared memory that holds the queue's state and its items. */
  readonly buffer: SharedArrayBuffer
  /** The most items the queue holds. */
  readonly capacity: number
  /** The most bytes of encoded items (framing included) the queue holds. */
  readonly bytes: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedQueue {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The most items the queue holds (Python's `maxsize`): an integer from 1 to 2^31 - 1. */
    readonly capacity: number
    /**
     * The most bytes of encoded items the queue holds, each item counting its
     * serialized size plus 4 to 7 bytes of framing; rounded up to a multiple
     * of 4. The queue's memory is allocated up front. Defaults to 1 MiB.
     */
    readonly bytes?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface TimeoutOptions {
    /** How long to wait before failing with `QueueFull` (offers) or `QueueEmpty` (takes). */
    readonly timeout: Duration.DurationInput
  }

  /**
   * How a queue crosses into a worker thread: the memory it lives in and the
   * memory of its lock.
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
 * The queue stayed full: `offerNow` found no room, or an `offer` with a
 * timeout found none in time (`millis`). Nothing was offered.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueFull extends Schema.TaggedError<QueueFull>("effect-parallel/QueueFull")("QueueFull", {
  millis: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return this.millis === undefined ? "the SharedQueue is full" : `the SharedQueue stayed full for ${this.millis} ms`
  }
}

/**
 * The queue stayed empty: `takeNow` found no item, or a `take` with a timeout
 * found none in time (`millis`). Nothing was taken.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueEmpty extends Schema.TaggedError<QueueEmpty>("effect-parallel/QueueEmpty")("QueueEmpty", {
  millis: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return this.millis === undefined ? "the SharedQueue is empty" : `the SharedQueue stayed empty for ${this.millis} ms`
  }
}

/**
 * The queue was shut down: offers fail with it, and takes do once the queue
 * is drained.
 *
 * @since 0.1.0
 * @category errors
 */
export class QueueShutdown extends Schema.TaggedError<QueueShutdown>("effect-parallel/QueueShutdown")(
  "QueueShutdown",
  {}
) {
  override get message(): string {
    return "the SharedQueue is shut down"
  }
}

/**
 * An item (or a batch, for `offerAll`) whose encoded size, framing included,
 * is larger than the queue's byte capacity: it could never fit.
 *
 * @since 0.1.0
 * @category errors
 */
export class MessageTooLarge extends Schema.TaggedError<MessageTooLarge>("effect-parallel/MessageTooLarge")(
  "MessageTooLarge",
  {
    bytes: Schema.Number,
    limit: Schema.Number
  }
) {
  override get message(): string {
    return `an item of ${this.bytes} bytes does not fit a SharedQueue of ${this.limit} bytes`
  }
}

/**
 * An item could not be encoded: it failed the queue's Schema, or holds a
 * value that cannot be serialized (a function, a symbol, shared memory).
 *
 * @since 0.1.0
 * @category errors
 */
export class ItemEncodeError extends Schema.TaggedError<ItemEncodeError>("effect-parallel/ItemEncodeError")(
  "ItemEncodeError",
  { reason: Schema.String }
) {
  override get message(): string {
    return `could not encode an item for the SharedQueue: ${this.reason}`
  }
}

const errors: internal.Errors = {
  full: (millis) => new QueueFull(millis === undefined ? {} : { millis }),
  empty: (millis) => new QueueEmpty(millis === undefined ? {} : { millis }),
  shutdown: () => new QueueShutdown(),
  tooLarge: (bytes, limit) => new MessageTooLarge({ bytes, limit }),
  encode: (reason) => new ItemEncodeError({ reason })
}

/**
 * Makes an empty queue of items encoded with `schema`. Options out of range
 * are a defect (`RangeError`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, I>(schema: Schema.Schema<A, I>, options: SharedQueue.Options) => Effect.Effect<SharedQueue<A>> =
  internal.make

/**
 * Makes an empty queue outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: <A, I>(schema: Schema.Schema<A, I>, options: SharedQueue.Options) => SharedQueue<A> =
  internal.unsafeMake

/**
 * The Schema of a queue of `item`s as a task payload field (or a task's
 * result): it crosses into worker threads as its memory, and decodes into a
 * handle over the same queue. Decoding fails for a queue made with a Schema
 * of another shape.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: <A, I>(item: Schema.Schema<A, I>) => Schema.Schema<SharedQueue<A>, SharedQueue.Encoded> =
  internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedQueue: (u: unknown) => u is SharedQueue<unknown> = internal.isSharedQueue

/**
 * Offers an item, waiting while the queue is full (Python's `put`). With a
 * `timeout`, fails with `QueueFull` if there is no room in time.
 *
 * @since 0.1.0
 * @category combinators
 */
export const offer: {
  <A>(self: SharedQueue<A>, item: A): Effect.Effect<void, QueueShutdown | MessageTooLarge | ItemEncodeError>
  <A>(
    self: SharedQueue<A>,
    item: A,
    options: SharedQueue.TimeoutOptions
  ): Effect.Effect<void, QueueFull | QueueShutdown | MessageTooLarge | ItemEncodeError>
} = <A>(self: SharedQueue<A>, item: A, options?: SharedQueue.TimeoutOptions) =>
  internal.offerAll(self, [item], options?.timeout, errors) as Effect.Effect<
    void,
    QueueShutdown | MessageTooLarge | ItemEncodeError
  >

/**
 * Offers an item if there is room now, or fails with `QueueFull` (Python's
 * `put_nowait`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const offerNow: {
  <A>(item: A): (self: SharedQueue<A>) => Effect.Effect<void, QueueFull | QueueShutdown | MessageTooLarge | ItemEncodeError>
  <A>(self: SharedQueue<A>, item: A): Effect.Effect<void, QueueFull | QueueShutdown | MessageTooLarge | ItemEncodeError>
} = dual(2, <A>(self: SharedQueue<A>, item: A) => internal.offerAll(self, [item], "now", errors))

/**
 * Offers several items at once, waiting until they all fit: they are
 * offered together, consecutively, or not at all. More items than the queue's
 * `capacity` is a defect; more bytes than its byte capacity fails with
 * `MessageTooLarge`. With a `timeout`, fails with `QueueFull` if they do not
 * fit in time.
 *
 * @since 0.1.0
 * @category combinators
 */
export const offerAll: {
  <A>(self: SharedQueue<A>, items: Iterable<A>): Effect.Effect<void, QueueShutdown | MessageTooLarge | ItemEncodeError>
  <A>(
    self: SharedQueue<A>,
    items: Iterable<A>,
    options: SharedQueue.TimeoutOptions
  ): Effect.Effect<void, QueueFull | QueueShutdown | MessageTooLarge | ItemEncodeError>
} = <A>(self: SharedQueue<A>, items: Iterable<A>, options?: SharedQueue.TimeoutOptions) =>
  internal.offerAll(self, items, options?.timeout, errors) as Effect.Effect<
    void,
    QueueShutdown | MessageTooLarge | ItemEncodeError
  >

/**
 * Takes the oldest item, waiting while the queue is empty (Python's `get`).
 * With a `timeout`, fails with `QueueEmpty` if no item comes in time. Once the
 * queue is shut down and drained, fails with `QueueShutdown`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const take: {
  <A>(self: SharedQueue<A>): Effect.Effect<A, QueueShutdown>
  <A>(self: SharedQueue<A>, options: SharedQueue.TimeoutOptions): Effect.Effect<A, QueueEmpty | QueueShutdown>
} = <A>(self: SharedQueue<A>, options?: SharedQueue.TimeoutOptions) =>
  internal.take(self, options?.timeout, errors) as Effect.Effect<A, QueueShutdown>

/**
 * Takes the oldest item if there is one now, or fails with `QueueEmpty`
 * (Python's `get_nowait`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const takeNow = <A>(self: SharedQueue<A>): Effect.Effect<A, QueueEmpty | QueueShutdown> =>
  internal.take(self, "now", errors)

/**
 * Waits until at least `min` items are in the queue, then takes up to `max`
 * of them, oldest first. With `min` 0 it does not wait. Once the queue is
 * shut down, takes what is left (even fewer than `min`), then fails with
 * `QueueShutdown`. With a `timeout`, fails with `QueueEmpty` if `min` items
 * are not there in time. `min` above the capacity is a defect.
 *
 * @since 0.1.0
 * @category combinators
 */
export const takeBetween: {
  <A>(self: SharedQueue<A>, min: number, max: number): Effect.Effect<Array<A>, QueueShutdown>
  <A>(
    self: SharedQueue<A>,
    min: number,
    max: number,
    options: SharedQueue.TimeoutOptions
  ): Effect.Effect<Array<A>, QueueEmpty | QueueShutdown>
} = <A>(self: SharedQueue<A>, min: number, max: number, options?: SharedQueue.TimeoutOptions) =>
  internal.takeBetween(self, min, max, options?.timeout, errors) as Effect.Effect<Array<A>, QueueShutdown>

/**
 * The number of items in the queue right now (Python's `qsize`).
 *
 * @since 0.1.0
 * @category getters
 */
export const size: <A>(self: SharedQueue<A>) => Effect.Effect<number> = internal.size

/**
 * The number of items offered and not yet marked done with `taskDone`.
 *
 * @since 0.1.0
 * @category getters
 */
export const unfinished: <A>(self: SharedQueue<A>) => Effect.Effect<number> = internal.unfinished

/**
 * Whether the queue has been shut down.
 *
 * @since 0.1.0
 * @category getters
 */
export const isShutdown: <A>(self: SharedQueue<A>) => Effect.Effect<boolean> = internal.isShutdown

/**
 * Shuts the queue down, from any thread: every waiting `offer`, `take` and
 * `join` fails with `QueueShutdown`, later offers fail with it, and takes
 * return what is left before failing with it. Shutting down twice does
 * nothing.
 *
 * @since 0.1.0
 * @category combinators
 */
export const shutdown: <A>(self: SharedQueue<A>) => Effect.Effect<void> = internal.shutdown

/**
 * Marks `n` (default 1) taken items as done (Python's `task_done`). Marking
 * more items done than were offered is a defect.
 *
 * @since 0.1.0
 * @category combinators
 */
export const taskDone = <A>(self: SharedQueue<A>, n: number = 1): Effect.Effect<void> => internal.taskDone(self, n)

/**
 * Waits until every item ever offered has been marked done with `taskDone`
 * (Python's `JoinableQueue.join`). Fails with `QueueShutdown` if the queue is
 * shut down while some are not.
 *
 * @since 0.1.0
 * @category combinators
 */
export const join = <A>(self: SharedQueue<A>): Effect.Effect<void, QueueShutdown> => internal.join(self, errors)
