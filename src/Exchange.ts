/**
 * `Exchange`: one place to collect the results of many running tasks and
 * channels, in the order they complete (pprocess's `Exchange`).
 *
 * Members are tasks started through the exchange (`start`, which waits while
 * `limit` members are active, as pprocess's `start` queues when busy) or jobs
 * and channels added to it (`add`, `addChannel`). Every result arrives on one
 * Stream, tagged with the member that produced it: one per task, one per
 * output message of a channel. A member's typed failure surfaces with the
 * member's identity; by default it stops the exchange (the other members are
 * interrupted), with `onFailure: "collect"` it is recorded and the rest go on.
 * A defect is not a failure to collect: a member that dies (its handler
 * throws, say), or a job that its owner interrupts, ends the results with a
 * defect under either policy, and the other members are interrupted.
 * Closing the exchange's scope interrupts every member.
 *
 * @example
 * ```ts
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const exchange = yield* Exchange.make<number, never>({ limit: 4 })
 *   for (const ms of [300, 100, 200]) yield* exchange.start(new Sleep({ millis: ms, value: ms }))
 *   const values = yield* exchange.finish // in completion order: 100, 200, 300
 * }))
 * ```
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { EncodeError, WorkerPoolError } from "./Errors.js"
import * as internal from "./internal/exchange.js"
import type * as Job from "./Job.js"
import type * as WorkerPool from "./services/WorkerPool.js"
import type * as Task from "./Task.js"
import type * as TaskChannel from "./TaskChannel.js"

/**
 * Who produced a result: the member's number in the exchange (from 1, in the
 * order members joined) and its task's tag.
 *
 * @since 0.1.0
 * @category models
 */
export interface Member {
  readonly id: number
  readonly task: string
}

/**
 * A result and the member that produced it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Received<A> {
  readonly member: Member
  readonly value: A
}

/**
 * A member failed: its error, with its identity.
 *
 * @since 0.1.0
 * @category errors
 */
export class MemberFailed<E> extends Data.TaggedError("MemberFailed")<{
  readonly member: Member
  readonly error: E
}> {
  override get message(): string {
    return `member ${this.member.id} (task '${this.member.task}') failed: ${String(this.error)}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Exchange {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options<A> {
    /**
     * How many members may be active at once; `start` waits for room. Defaults to the pool's capacity; `Infinity`
     * for no limit. Anything but a positive integer or `Infinity` is a defect of `make`.
     */
    readonly limit?: number | undefined
    /** `"stop"` (default): the first failure interrupts the rest and fails the exchange; `"collect"`: record it and go on. */
    readonly onFailure?: "stop" | "collect" | undefined
    /** Called for every result as `finish` collects it (pprocess's `store_data`). */
    readonly onResult?: ((received: Received<A>) => Effect.Effect<void>) | undefined
  }
}

/**
 * An exchange whose members produce values of type `A` and fail with `E`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Exchange<A, E> {
  /** Starts a task on the pool as a member; waits while `limit` members are active. */
  readonly start: (
    task: Task.Any,
    options?: WorkerPool.WorkerPool.RunOptions
  ) => Effect.Effect<Member>
  /** Starts a channel task as a member (each output message is a result); waits while `limit` members are active. */
  readonly startChannel: (
    task: Task.Any,
    options?: WorkerPool.WorkerPool.RunOptions
  ) => Effect.Effect<readonly [Member, TaskChannel.TaskChannel<any, A, unknown, E>], EncodeError>
  /** Adds a running job as a member. */
  readonly add: (job: Job.Job<A, E | WorkerPoolError>, task?: string) => Effect.Effect<Member>
  /** Adds an open channel as a member: each of its outputs is a result. */
  readonly addChannel: (channel: TaskChannel.TaskChannel<any, A, unknown, E>, task?: string) => Effect.Effect<Member>
  /** How many members are still running. */
  readonly active: Effect.Effect<number>
  /** The members whose results are waiting to be read. */
  readonly ready: Effect.Effect<ReadonlyArray<Member>>
  /** Every result, in completion order. Ends once no member is active and no more are being added (see `finish`). */
  readonly results: Stream.Stream<Received<A>, MemberFailed<E | WorkerPoolError>>
  /** The failures recorded with `onFailure: "collect"`. */
  readonly failures: Effect.Effect<ReadonlyArray<MemberFailed<E | WorkerPoolError>>>
  /**
   * No more members will join: waits for every member and returns the
   * results not read yet, in completion order, running `onResult` for each.
   */
  readonly finish: Effect.Effect<Array<Received<A>>, MemberFailed<E | WorkerPoolError>>
}

/**
 * Makes an exchange in the current scope over the `WorkerPool` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A, E = never>(
  options?: Exchange.Options<A>
) => Effect.Effect<Exchange<A, E>, never, WorkerPool.WorkerPool | Scope.Scope> = internal.make
