/**
 * A duplex pipe between two fibers in any threads: multiprocessing's `Pipe()`
 * for worker threads.
 *
 * `Pipe.make` returns two connected ends, `[left, right]`. What one end sends,
 * the other receives, in order, each direction typed by its own Schema. Hand
 * one end to a task as a payload field declared with
 * `Pipe.schema(sendSchema, receiveSchema)` and keep the other: the worker gets
 * a handle over the same shared memory, not a copy.
 *
 * Each direction is a `SharedQueue` underneath, bounded by `capacity` messages
 * and `bytes` of encoded messages: `send` waits while the other end has that
 * much unread. Waiting never blocks a thread and stays interruptible; an
 * interrupted `receive` never consumes a message.
 *
 * Closing an end (from any thread) ends the pipe: the other end receives what
 * was sent before, then `receive` fails with `PipeClosed` (Python's
 * `EOFError`); sends from either end, and receives on the closed end, fail
 * with `PipeClosed` at once.
 *
 * Gotcha: child processes cannot share memory; a task holding a connection
 * cannot be sent to a process pool (it fails with an `EncodeError`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Parallel, Pipe, Task } from "effect-parallel"
 *
 * // the worker's end receives numbers and sends strings
 * export class Describe extends Task.Class<Describe>()("Describe", {
 *   payload: { connection: Pipe.schema(Schema.String, Schema.Number) },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * const program = Effect.gen(function*() {
 *   // the left end sends numbers and receives strings
 *   const [mine, theirs] = yield* Pipe.make(Schema.Number, Schema.String)
 *   const job = yield* Parallel.submit(new Describe({ connection: theirs }))
 *   yield* Pipe.send(mine, 42)
 *   const answer = yield* Pipe.receive(mine)
 *   yield* Pipe.close(mine)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as Types from "effect/Types"
import * as internal from "./internal/pipe.js"
import type { ItemEncodeError, MessageTooLarge } from "./SharedQueue.js"

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
 * One end of a pipe: it sends `Send`s and receives `Receive`s. Every handle
 * over the same memory, in any thread, is the same end.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection<in out Send, in out Receive> extends Pipeable, Inspectable {
  readonly [TypeId]: {
    readonly _Send: Types.Invariant<Send>
    readonly _Receive: Types.Invariant<Receive>
  }
  /** Which end of the pipe this is. */
  readonly side: "left" | "right"
  /** The shared memory that says which ends are closed. */
  readonly buffer: SharedArrayBuffer
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Connection {
  /**
   * How a connection crosses into a worker thread: the memory of the pipe and
   * of the queue in each direction.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded {
    readonly buffer: SharedArrayBuffer
    readonly side: "left" | "right"
    readonly outgoing: { readonly buffer: SharedArrayBuffer; readonly lock: SharedArrayBuffer }
    readonly incoming: { readonly buffer: SharedArrayBuffer; readonly lock: SharedArrayBuffer }
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Pipe {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** How many unread messages each direction holds before `send` waits. Defaults to 1024. */
    readonly capacity?: number | undefined
    /**
     * How many bytes of unread encoded messages each direction holds before
     * `send` waits (see `SharedQueue.Options`); a larger message fails with
     * `MessageTooLarge`. Defaults to 1 MiB.
     */
    readonly bytes?: number | undefined
  }
}

/**
 * The pipe is closed: this end was closed, or the other end was and
 * everything it sent has been received.
 *
 * @since 0.1.0
 * @category errors
 */
export class PipeClosed extends Schema.TaggedError<PipeClosed>("effect-parallel/PipeClosed")("PipeClosed", {}) {
  override get message(): string {
    return "the pipe is closed"
  }
}

const closedError = () => new PipeClosed()

/**
 * Makes a pipe: two connected ends. With one Schema, both directions carry
 * it; with two, the left end sends the first and receives the second, and the
 * right end the other way round.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: {
  <A, I>(schema: Schema.Schema<A, I>, options?: Pipe.Options): Effect.Effect<[Connection<A, A>, Connection<A, A>]>
  <A, IA, B, IB>(
    left: Schema.Schema<A, IA>,
    right: Schema.Schema<B, IB>,
    options?: Pipe.Options
  ): Effect.Effect<[Connection<A, B>, Connection<B, A>]>
} = (
  left: Schema.Schema<any, any>,
  right?: Schema.Schema<any, any> | Pipe.Options,
  options?: Pipe.Options
): Effect.Effect<[Connection<any, any>, Connection<any, any>]> =>
  Schema.isSchema(right) ? internal.make(left, right, options) : internal.make(left, left, right)

/**
 * The Schema of a connection that sends `send`s and receives `receive`s, as a
 * task payload field (or a task's result): it crosses into worker threads as
 * its memory and decodes into a handle over the same end. For the right end
 * of `Pipe.make(a, b)`, that is `Pipe.schema(b, a)`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: <S, IS, R, IR>(
  send: Schema.Schema<S, IS>,
  receive: Schema.Schema<R, IR>
) => Schema.Schema<Connection<S, R>, Connection.Encoded> = internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isConnection: (u: unknown) => u is Connection<unknown, unknown> = internal.isConnection

/**
 * Sends a message to the other end, waiting while it has `capacity` messages
 * (or `bytes`) unread. Fails with `PipeClosed` once either end is closed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const send = <Send, Receive>(
  self: Connection<Send, Receive>,
  value: Send
): Effect.Effect<void, PipeClosed | MessageTooLarge | ItemEncodeError> =>
  internal.send(self, value, closedError)

/**
 * Receives the next message from the other end, waiting for one (Python's
 * `recv`). Once the other end is closed and everything it sent has been
 * received, or once this end is closed, fails with `PipeClosed`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const receive = <Send, Receive>(self: Connection<Send, Receive>): Effect.Effect<Receive, PipeClosed> =>
  internal.receive(self, closedError)

/**
 * Closes this end, from any thread: see the module's description. Closing
 * twice does nothing.
 *
 * @since 0.1.0
 * @category combinators
 */
export const close: <Send, Receive>(self: Connection<Send, Receive>) => Effect.Effect<void> = internal.close

/**
 * Whether this end has been closed.
 *
 * @since 0.1.0
 * @category getters
 */
export const isClosed: <Send, Receive>(self: Connection<Send, Receive>) => Effect.Effect<boolean> = internal.closed
