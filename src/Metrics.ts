/**
 * The pools' Effect Metrics: queue depth, workers and busy workers, tasks
 * started, completed and failed, and task durations.
 *
 * Every pool updates them with the label `pool` set to its worker module's
 * file name (`TestWorkerPool` for the test layer), so several pools in one
 * process stay apart. Read them with `Metric.value`, or export them with any
 * Effect metrics exporter.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Metrics } from "effect-parallel"
 *
 * const done = Metric.value(Metrics.tasksCompleted.pipe(Metric.tagged("pool", "worker.ts")))
 * ```
 *
 * @since 0.1.0
 */
import type * as Metric from "effect/Metric"
import type * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricState from "effect/MetricState"
import * as internal from "./internal/metrics.js"

/**
 * Tasks waiting for a worker.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueDepth: Metric.Metric.Gauge<number> = internal.queueDepth

/**
 * Workers ready to take tasks.
 *
 * @since 0.1.0
 * @category metrics
 */
export const workers: Metric.Metric.Gauge<number> = internal.workers

/**
 * Workers holding at least one task.
 *
 * @since 0.1.0
 * @category metrics
 */
export const busyWorkers: Metric.Metric.Gauge<number> = internal.busyWorkers

/**
 * Tasks (or chunks of `map`) handed to a worker.
 *
 * @since 0.1.0
 * @category metrics
 */
export const tasksStarted: Metric.Metric.Counter<number> = internal.tasksStarted

/**
 * Tasks (or chunks) that came back from their worker, with any result.
 *
 * @since 0.1.0
 * @category metrics
 */
export const tasksCompleted: Metric.Metric.Counter<number> = internal.tasksCompleted

/**
 * Tasks lost to an infrastructure failure, labelled `reason` with the
 * error's tag (`WorkerCrashed`, `TaskTimeout`, `EncodeError`, ...).
 *
 * @since 0.1.0
 * @category metrics
 */
export const tasksFailed: Metric.Metric.Counter<number> = internal.tasksFailed

/**
 * Milliseconds from a task's start on a worker to its result.
 *
 * @since 0.1.0
 * @category metrics
 */
export const taskDuration: Metric.Metric<
  MetricKeyType.MetricKeyType.Histogram,
  number,
  MetricState.MetricState.Histogram
> = internal.taskDuration
