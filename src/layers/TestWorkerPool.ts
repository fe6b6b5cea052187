/**
 * `TestWorkerPool`: a `WorkerPool` layer that runs the same task handlers
 * in-process, on fibers, with no threads or processes, so that a pipeline
 * built on `WorkerPool` is tested fast and reproducibly.
 *
 * It keeps the contract of the Node layers (typed failures, defects,
 * interruption, per-task timeouts, chunking, ordered and unordered streams,
 * bounded concurrency and queue, the initialisation Layer, payloads that
 * cannot be cloned) and adds what a test needs:
 *
 * - a `seed` that decides the order in which concurrently running tasks
 *   complete: the same seed gives the same interleaving on every run,
 *   different seeds explore different orders (`explore` runs a property over
 *   many seeds and names the one that failed);
 * - simulated latency on virtual time (advance it with `TestClock`);
 * - fault injection: crash the worker running the nth task, make the nth task
 *   slow, fail the first spawns; each gives the same typed errors as the real
 *   layers;
 * - inspection: which task ran on which simulated worker, spawns and
 *   replacements, in-flight and queued counts, peak concurrency.
 *
 * A handler stuck in a synchronous loop blocks the test's own thread: that
 * case needs a real layer.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Cause from "effect/Cause"
import { InvalidOptions, type SpawnError } from "../Errors.js"
import * as internal from "../internal/testPool.js"
import { make as makeWorkerPool } from "../internal/workerPool.js"
import { WorkerPool } from "../services/WorkerPool.js"
import type { TaskRunner } from "../workers/TaskRunner.js"

/**
 * Which task ran on which simulated worker: `index` counts task starts from 1.
 *
 * @since 0.1.0
 * @category models
 */
export type Assignment = internal.Assignment

/**
 * Counters of a test pool.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = internal.Stats

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TestWorkerPool {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Simulated workers. Defaults to 4. */
    readonly size?: number | undefined
    /** Tasks each simulated worker runs at once. Defaults to 1. */
    readonly concurrency?: number | undefined
    /** Tasks that may wait for a worker before callers wait for room. Defaults to 10,000. */
    readonly maxQueue?: number | undefined
    /** Decides the order in which concurrently running tasks complete. Defaults to 0. */
    readonly seed?: number | undefined
    /** Consecutive failed spawns before a `SpawnError`. Defaults to 3. */
    readonly spawnAttempts?: number | undefined
    /** Simulated time each task takes on virtual time (advance it with `TestClock.adjust`). */
    readonly latency?: Duration.DurationInput | ((task: string, index: number) => Duration.DurationInput) | undefined
    /** Faults to inject; task numbers count task starts from 1. */
    readonly faults?: {
      /** Crash the worker running these tasks: they and the worker's other in-flight tasks fail with `WorkerCrashed`. */
      readonly crashOn?: ReadonlyArray<number> | undefined
      /** Add this much virtual time to these tasks. */
      readonly slow?: ReadonlyArray<{ readonly task: number; readonly by: Duration.DurationInput }> | undefined
      /** Fail this many spawns first (fewer than `spawnAttempts` recovers; more fails the layer with `SpawnError`). */
      readonly failSpawns?: number | undefined
    } | undefined
  }
}

/**
 * The inspection service of a test pool, provided beside `WorkerPool` by `layer`.
 *
 * @since 0.1.0
 * @category services
 */
export class TestWorkerPool extends Context.Tag("effect-parallel/TestWorkerPool")<TestWorkerPool, {
  /** The seed this pool schedules with. */
  readonly seed: number
  /** Every task start so far, in order. */
  readonly assignments: Effect.Effect<ReadonlyArray<Assignment>>
  /** Spawns, replacements, started, completed, in flight, queued and peak concurrency. */
  readonly stats: Effect.Effect<Stats>
}>() {}

const positive = (name: string, value: number | undefined, fallback: number) =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(new InvalidOptions({ reason: `${name} must be a positive integer, got ${value}` }))

const millis = (input: Duration.DurationInput) => Duration.toMillis(Duration.decode(input))

/**
 * A `WorkerPool` that runs `runner`'s handlers in-process, plus the
 * `TestWorkerPool` inspection service. Build it inside `it.effect` so that
 * its timeouts and latency run on the `TestClock`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  runner: TaskRunner<never>,
  options: TestWorkerPool.Options = {}
): Layer.Layer<WorkerPool | TestWorkerPool, SpawnError | InvalidOptions> =>
  Layer.scopedContext(Effect.gen(function*() {
    const size = yield* positive("size", options.size, 4)
    const concurrency = yield* positive("concurrency", options.concurrency, 1)
    const latency = options.latency
    const [core, inspector] = yield* internal.makeTestCore(runner, {
      size,
      concurrency,
      maxQueue: yield* positive("maxQueue", options.maxQueue, 10_000),
      spawnAttempts: yield* positive("spawnAttempts", options.spawnAttempts, 3),
      seed: options.seed ?? 0,
      latencyMs: latency === undefined
        ? undefined
        : typeof latency === "function"
        ? (task, index) => millis(latency(task, index))
        : () => millis(latency),
      crashOn: new Set(options.faults?.crashOn ?? []),
      slowMs: new Map((options.faults?.slow ?? []).map(({ by, task }) => [task, millis(by)] as const)),
      failSpawns: options.faults?.failSpawns ?? 0
    })
    const pool = makeWorkerPool(core, size, concurrency)
    return Context.make(WorkerPool, pool).pipe(Context.add(TestWorkerPool, inspector))
  }))

/**
 * A property that failed for one seed of `explore`: replay it with that seed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExploreFailure<E> extends Data.TaggedError("ExploreFailure")<{
  readonly seed: number
  readonly cause: Cause.Cause<E>
}> {
  override get message(): string {
    return `the property failed with seed ${this.seed}; replay it with TestWorkerPool.layer(runner, { seed: ${this.seed} })`
  }
}

/**
 * Runs `property` once per seed (`0 .. seeds - 1`, or the seeds given), in
 * order, and fails with the first seed whose run failed, so the failing
 * schedule can be replayed. Build the test pool inside `property` with the
 * seed it receives.
 *
 * @since 0.1.0
 * @category combinators
 */
export const explore = <E, R>(
  seeds: number | Iterable<number>,
  property: (seed: number) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, ExploreFailure<E>, R> =>
  Effect.forEach(
    typeof seeds === "number" ? Array.from({ length: seeds }, (_, i) => i) : seeds,
    (seed) => Effect.catchAllCause(property(seed), (cause) => Effect.fail(new ExploreFailure({ seed, cause }))),
    { discard: true }
  )
