/**
 * Task definitions: the contract between the main program and its workers.
 *
 * A task is defined once, with a tag and Schemas for its payload, its success
 * and its failure, and imported by both sides: the main program builds task
 * values and submits them, the worker module implements a handler for the tag.
 * Underneath a task is a `Schema.TaggedRequest`, so its payload, result and
 * failure are encoded and decoded by their Schemas when they cross a thread or
 * process boundary.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Task } from "effect-parallel"
 *
 * export class Square extends Task.Class<Square>()("Square", {
 *   payload: { x: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const task = new Square({ x: 3 })
 * ```
 *
 * @since 0.1.0
 */
import * as Transferable from "@effect/platform/Transferable"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Request from "effect/Request"
import * as Schema from "effect/Schema"
import type { TransferListItem } from "node:worker_threads"
import type { WorkerPoolError } from "./Errors.js"
import * as TaskBuilder from "./internal/taskBuilder.js"
import { TransferableId } from "./internal/wire.js"
import * as WorkerPool from "./services/WorkerPool.js"

/**
 * A task class: a `Schema.TaggedRequest` class that can also be called like a
 * function (pprocess's `MakeParallel`): `Square.run({ x: 3 })` is an Effect
 * that runs the task on the `WorkerPool` in context.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskClass<
  Self,
  Tag extends string,
  Payload extends Schema.Struct.Fields,
  Success extends Schema.Schema.All,
  Failure extends Schema.Schema.All
> extends Schema.TaggedRequestClass<Self, Tag, { readonly _tag: Schema.tag<Tag> } & Payload, Success, Failure> {
  /** Builds the task from its payload and runs it on the pool in context. */
  readonly run: (
    props: ConstructorParameters<
      Schema.TaggedRequestClass<Self, Tag, { readonly _tag: Schema.tag<Tag> } & Payload, Success, Failure>
    >[0],
    options?: WorkerPool.WorkerPool.RunOptions
  ) => Effect.Effect<Schema.Schema.Type<Success>, Schema.Schema.Type<Failure> | WorkerPoolError, WorkerPool.WorkerPool>
}

/**
 * Defines a task class: `class T extends Task.Class<T>()(tag, { payload, success, failure }) {}`.
 * Schemas must not need services to encode or decode.
 *
 * Its instances are those of the `Schema.TaggedRequest` underneath: the same own properties, prototype,
 * equality, validation and errors. When every payload field is a plain Schema whose type is as simple to check as
 * `typeof` (numbers, strings, booleans, bigints, literals, declared types without type parameters such as
 * `instanceOf(Float64Array)` or `DateFromSelf`, refinements of these such as integers or non-empty strings, and
 * unions of these; a transformation's type side, as `Schema.Date`'s or `transferable`'s, counts), they are built
 * directly instead of by Schema's class constructor, some 15-20 times faster, which counts when a map makes a
 * task per item.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Class = <Self = never>(identifier?: string) =>
<
  Tag extends string,
  Payload extends Schema.Struct.Fields,
  Success extends Schema.Schema.All,
  Failure extends Schema.Schema.All
>(
  tag: Tag,
  options: { readonly payload: Payload; readonly success: Success; readonly failure: Failure }
): [Self] extends [never] ? "Missing `Self` generic - use `class Self extends Task.Class<Self>()(tag, { ... })`"
  : TaskClass<Self, Tag, Payload, Success, Failure> =>
{
  const Base = Schema.TaggedRequest<any>(identifier)(tag, options) as unknown as new(
    props: unknown,
    options?: unknown
  ) => object
  const build = TaskBuilder.make(tag, options.payload)
  return class extends Base {
    constructor(props: unknown, makeOptions?: unknown) {
      // Schema's constructor, unless the instance it would make can be built directly (see internal/taskBuilder)
      const built = build?.(new.target.prototype, props, makeOptions)
      if (built !== undefined) return built as any
      super(props, makeOptions)
    }
    static run(props: unknown, runOptions?: WorkerPool.WorkerPool.RunOptions) {
      return Effect.flatMap(WorkerPool.WorkerPool, (pool) => pool.run(new this(props) as Any, runOptions))
    }
  } as any
}

/**
 * Any task value.
 *
 * @since 0.1.0
 * @category models
 */
export type Any = Schema.TaggedRequest.All

/**
 * Any task class (the constructor made by `Task.Class`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AnyClass {
  readonly _tag: string
  readonly success: Schema.Schema.All
  readonly failure: Schema.Schema.All
  new(...args: ReadonlyArray<any>): Any
}

/**
 * The value a task succeeds with.
 *
 * @since 0.1.0
 * @category models
 */
export type Success<T> = T extends Request.Request<infer A, infer _E> ? A : never

/**
 * The declared failure of a task.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure<T> = T extends Request.Request<infer _A, infer E> ? E : never

/**
 * The task value of a task class.
 *
 * @since 0.1.0
 * @category models
 */
export type Instance<C> = C extends new(...args: ReadonlyArray<any>) => infer T ? T : never

/**
 * The tag of a task value.
 *
 * @since 0.1.0
 * @category models
 */
export const tagOf = (task: Any): string => task._tag

/**
 * A Schema whose values move to and from worker threads instead of being copied: `f` lists the buffers (or ports)
 * of a value, which are transferred with it, and are gone (detached) on the side that sent it. A
 * `SharedArrayBuffer` it lists is left out: it is shared, not moved.
 *
 * Put it on a payload field, on the success, or on a field of a struct success: a handler that returns such a
 * result moves its buffers without `Transferable.addAll`, so it can answer at once (`Effect.succeed`) and needs no
 * fiber. It is looked for there only: inside `Schema.optional`, `Schema.NullOr` or a further transformation the
 * value is copied. A buffer that has been moved already (the same task run twice) fails the task with
 * `EncodeError`; a `broadcast` copies. It is `Transferable.schema` from `@effect/platform` (so it also moves values where a platform `Collector`
 * is in context), annotated so that the pool finds the buffers without running Schema's encoder. Child processes
 * copy, and `TestWorkerPool` copies results, as with `transfer` and `Transferable.addAll`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Task } from "effect-parallel"
 *
 * const Samples = Task.transferable(Schema.instanceOf(Float64Array), (a) => [a.buffer])
 *
 * export class Smooth extends Task.Class<Smooth>()("Smooth", {
 *   payload: { samples: Samples },
 *   success: Samples,
 *   failure: Schema.Never
 * }) {}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const transferable: {
  <I>(f: (encoded: I) => Iterable<TransferListItem | ArrayBufferLike>): <A, R>(self: Schema.Schema<A, I, R>) => Schema.Schema<A, I, R>
  <A, I, R>(self: Schema.Schema<A, I, R>, f: (encoded: I) => Iterable<TransferListItem | ArrayBufferLike>): Schema.Schema<A, I, R>
} = dual(
  2,
  <A, I, R>(self: Schema.Schema<A, I, R>, f: (encoded: I) => Iterable<TransferListItem | ArrayBufferLike>): Schema.Schema<A, I, R> =>
    Transferable.schema(self, f as (encoded: I) => Iterable<never>).annotations({ [TransferableId]: f })
)
