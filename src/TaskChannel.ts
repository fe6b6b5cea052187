/**
 * Channel tasks: start one long-running task and talk to it both ways while
 * it runs (pprocess's `start(fn)` channel and its `continuous` results).
 *
 * A channel task is a task with two more Schemas: `input`, the messages the
 * main side sends in, and `output`, the messages the task sends out, as many
 * as it likes before it ends with its typed success or failure. Its handler
 * gets the worker's end of the channel as a second argument.
 *
 * Flow control keeps both directions bounded: a task that sends faster than
 * the main side reads waits in `send`, and so does a main side that sends
 * faster than the task takes. Closing the main side's scope, or interrupting,
 * ends the task in its worker; a worker that crashes fails the channel with
 * `WorkerCrashed`.
 *
 * @example
 * ```ts
 * import { Effect, Schema, Stream } from "effect"
 * import { TaskChannel } from "effect-parallel"
 *
 * export class Counter extends TaskChannel.Class<Counter>()("Counter", {
 *   payload: { start: Schema.Number },
 *   input: Schema.Literal("next", "stop"),
 *   output: Schema.Number,
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * // in the worker module: Counter: ({ start }, port) => ...port.take / port.send(n)...
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const channel = yield* Counter.open({ start: 10 })
 *   yield* channel.send("next")
 *   const first = yield* channel.take // Option.some(10)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { ChannelClosed, EncodeError, WorkerPoolError } from "./Errors.js"
import * as WorkerPool from "./services/WorkerPool.js"
import * as Task from "./Task.js"

/**
 * The worker's end of a channel, given to the handler of a channel task.
 *
 * @since 0.1.0
 * @category models
 */
export interface Port<In, Out> {
  /** The next input message; `None` once the main side has closed its input. */
  readonly take: Effect.Effect<Option.Option<In>>
  /** Every input message until the main side closes its input. */
  readonly messages: Stream.Stream<In>
  /** Sends an output message; waits while the main side's buffer is full. */
  readonly send: (output: Out) => Effect.Effect<void>
}

/**
 * The main side's end of a running channel task.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskChannel<In, Out, A, E> {
  /**
   * Sends an input message; waits while the task's buffer is full; fails with `ChannelClosed` once the task has
   * ended or `closeInput` has run.
   */
  readonly send: (input: In) => Effect.Effect<void, ChannelClosed | EncodeError>
  /** Tells the task no more input will come (its `take` returns `None`); `send` fails from then on. */
  readonly closeInput: Effect.Effect<void>
  /** The next output message; `None` once the task has ended with success. */
  readonly take: Effect.Effect<Option.Option<Out>, E | WorkerPoolError>
  /** Every output message, ending when the task succeeds and failing when it fails. */
  readonly output: Stream.Stream<Out, E | WorkerPoolError>
  /** Waits for the task's result. */
  readonly await: Effect.Effect<A, E | WorkerPoolError>
  /** Interrupts the task in its worker. */
  readonly interrupt: Effect.Effect<void>
}

/**
 * A channel task class.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskChannelClass<
  Self,
  Tag extends string,
  Payload extends Schema.Struct.Fields,
  Input extends Schema.Schema.Any,
  Output extends Schema.Schema.Any,
  Success extends Schema.Schema.All,
  Failure extends Schema.Schema.All
> extends Task.TaskClass<Self, Tag, Payload, Success, Failure> {
  readonly input: Input
  readonly output: Output
  /** Starts the task on the pool in context and opens its channel, for the life of the scope. */
  readonly open: (
    props: Parameters<Task.TaskClass<Self, Tag, Payload, Success, Failure>["run"]>[0],
    options?: WorkerPool.WorkerPool.RunOptions
  ) => Effect.Effect<
    TaskChannel<Schema.Schema.Type<Input>, Schema.Schema.Type<Output>, Schema.Schema.Type<Success>, Schema.Schema.Type<Failure>>,
    EncodeError,
    WorkerPool.WorkerPool | Scope.Scope
  >
}

/**
 * Any channel task class.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnyClass extends Task.AnyClass {
  readonly input: Schema.Schema.Any
  readonly output: Schema.Schema.Any
}

/**
 * Defines a channel task class:
 * `class T extends TaskChannel.Class<T>()(tag, { payload, input, output, success, failure }) {}`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Class = <Self = never>(identifier?: string) =>
<
  Tag extends string,
  Payload extends Schema.Struct.Fields,
  Input extends Schema.Schema.Any,
  Output extends Schema.Schema.Any,
  Success extends Schema.Schema.All,
  Failure extends Schema.Schema.All
>(
  tag: Tag,
  options: {
    readonly payload: Payload
    readonly input: Input
    readonly output: Output
    readonly success: Success
    readonly failure: Failure
  }
): [Self] extends [never] ? "Missing `Self` generic - use `class Self extends TaskChannel.Class<Self>()(tag, { ... })`"
  : TaskChannelClass<Self, Tag, Payload, Input, Output, Success, Failure> =>
{
  const Base = Task.Class<any>(identifier)(tag, options) as unknown as new(props: unknown) => object
  return class extends Base {
    static input = options.input
    static output = options.output
    static open(props: unknown, runOptions?: WorkerPool.WorkerPool.RunOptions) {
      return Effect.flatMap(WorkerPool.WorkerPool, (pool) => pool.openChannel(new this(props) as Task.Any, runOptions))
    }
  } as any
}
