/**
 * The worker side: a set of task handlers that a worker thread or child
 * process serves.
 *
 * A worker module default-exports a `TaskRunner` made from task definitions and
 * one handler per task tag. The pool loads the module in each worker (threads
 * and child processes alike, `.ts` in development through tsx, `.js` in
 * production) and serves the runner there; importing the module anywhere else
 * starts nothing, so the same handlers can run in-process in tests.
 *
 * @example
 * ```ts
 * // square.worker.ts
 * import { Effect } from "effect"
 * import { TaskRunner } from "effect-parallel"
 * import { Square } from "./tasks.js"
 *
 * export default TaskRunner.make([Square], {
 *   Square: ({ x }) => Effect.succeed(x * x)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as internal from "../internal/runner.js"
import type * as Schema from "effect/Schema"
import type * as Task from "../Task.js"
import type * as TaskChannel from "../TaskChannel.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-parallel/TaskRunner")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A handler: the Effect that runs a task inside a worker.
 *
 * The worker calls it as soon as the task starts. When it answers with an `Exit` (`Effect.succeed(...)`,
 * `Exit.fail(...)`) the result leaves at once, with no fiber started for it: the cheapest handler for a tiny
 * task. (`Effect.fail(error)` of an object is no Exit: it captures the current span, in a fiber.) A bare
 * `Effect.sync(() => work(x))` needs no fiber either: the worker calls its function at once (a throw is the task's
 * defect, as in a fiber), unless the runner's Layer installs a tracer of its own (OpenTelemetry's makes a fiber's
 * span current around each step it runs). Any other Effect runs in a fiber of its own. A handler that throws
 * instead of returning an Effect fails its task with that defect, as `Effect.suspend` would.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<T extends Task.Any, R> = (task: T) => Effect.Effect<Task.Success<T>, Task.Failure<T>, R>

/**
 * One handler for each task class, keyed by the task's tag.
 *
 * @since 0.1.0
 * @category models
 */
export type Handlers<Tasks extends ReadonlyArray<Task.AnyClass>> = {
  readonly [C in Tasks[number] as C["_tag"]]: C extends {
    readonly input: Schema.Schema<infer In, infer _I, infer _R>
    readonly output: Schema.Schema<infer Out, infer _O, infer _R2>
  } ? ChannelHandler<Task.Instance<C>, In, Out, any>
    : Handler<Task.Instance<C>, any>
}

/**
 * The handler of a channel task: it also gets the worker's end of the channel.
 *
 * @since 0.1.0
 * @category models
 */
export type ChannelHandler<T extends Task.Any, In, Out, R> = (
  task: T,
  port: TaskChannel.Port<In, Out>
) => Effect.Effect<Task.Success<T>, Task.Failure<T>, R>

/**
 * The services the handlers of `H` need.
 *
 * @since 0.1.0
 * @category models
 */
export type HandlersContext<H> = {
  [K in keyof H]: H[K] extends (...args: ReadonlyArray<any>) => Effect.Effect<any, any, infer R> ? R : never
}[keyof H]

/**
 * A set of task handlers, with the services they still need as `R`. A runner
 * can be served once `R` is `never` (see `provide`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskRunner<out R = never> extends Pipeable {
  readonly [TypeId]: TypeId
  /** The task classes this runner serves. */
  readonly tasks: ReadonlyArray<Task.AnyClass>
  /** The handlers, by task tag. */
  readonly handlers: ReadonlyMap<string, Handler<Task.Any, R>>
  /**
   * The initialisation Layer (multiprocessing's `initializer`): built once in
   * every worker before it takes work, and again in every replacement worker.
   */
  readonly layer: Layer.Layer<never, unknown, never>
  /** @internal */
  readonly [internal.ServeSymbol]: (config: internal.WorkerConfig) => void
}

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  }
}

const unsafeMake = <R>(
  tasks: ReadonlyArray<Task.AnyClass>,
  handlers: ReadonlyMap<string, Handler<Task.Any, R>>,
  layer: Layer.Layer<never, unknown, never>
): TaskRunner<R> => {
  const self = Object.create(Proto)
  self.tasks = tasks
  self.handlers = handlers
  self.layer = layer
  self[internal.ServeSymbol] = (config: internal.WorkerConfig) => internal.serve(self, config)
  return self
}

/**
 * Makes a runner from task classes and one handler per task tag.
 *
 * Each task whose handler does not answer with an `Exit` or a bare `Effect.sync` runs in a fiber of its own, with
 * the runner's Layer services, a `Transferable.Collector` and the caller's span in its context. Task fibers run
 * without Effect's runtime metrics (the built-in fiber counts and lifetimes, which nobody outside the worker can
 * read): `Metric.fiberStarted` and the like stay unchanged inside a worker.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Tasks extends ReadonlyArray<Task.AnyClass>, const H extends Handlers<Tasks>>(
  tasks: Tasks,
  handlers: H
): TaskRunner<HandlersContext<H>> =>
  unsafeMake(
    tasks,
    new Map(Object.entries(handlers)) as unknown as ReadonlyMap<string, Handler<Task.Any, HandlersContext<H>>>,
    Layer.empty
  )

/**
 * Provides the handlers' services with an initialisation Layer. The Layer is
 * built in each worker before it takes its first task and rebuilt in every
 * replacement; a Layer that fails makes the worker's start fail with a
 * `SpawnError`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const provide: {
  <ROut, E>(layer: Layer.Layer<ROut, E, never>): <R>(self: TaskRunner<R>) => TaskRunner<Exclude<R, ROut>>
  <R, ROut, E>(self: TaskRunner<R>, layer: Layer.Layer<ROut, E, never>): TaskRunner<Exclude<R, ROut>>
} = dual(
  2,
  <R, ROut, E>(self: TaskRunner<R>, layer: Layer.Layer<ROut, E, never>): TaskRunner<Exclude<R, ROut>> =>
    unsafeMake(
      self.tasks,
      self.handlers as ReadonlyMap<string, Handler<Task.Any, Exclude<R, ROut>>>,
      Layer.merge(self.layer, layer)
    )
)

/**
 * @since 0.1.0
 * @category guards
 */
export const isTaskRunner = (u: unknown): u is TaskRunner<unknown> =>
  typeof u === "object" && u !== null && TypeId in u
