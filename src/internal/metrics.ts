import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

export const queueDepth = Metric.gauge("effect_parallel_queue_depth", { description: "tasks waiting for a worker" })
export const workers = Metric.gauge("effect_parallel_workers", { description: "workers ready to take tasks" })
export const busyWorkers = Metric.gauge("effect_parallel_busy_workers", { description: "workers holding a task" })
export const tasksStarted = Metric.counter("effect_parallel_tasks_started", { description: "tasks handed to a worker" })
export const tasksCompleted = Metric.counter("effect_parallel_tasks_completed", {
  description: "tasks that came back from their worker"
})
export const tasksFailed = Metric.counter("effect_parallel_tasks_failed", {
  description: "tasks lost to an infrastructure failure"
})
export const taskDuration = Metric.histogram(
  "effect_parallel_task_duration_ms",
  MetricBoundaries.exponential({ start: 0.01, factor: 4, count: 12 }),
  "milliseconds from a task's start on a worker to its result"
)

/** Updates the metrics of one pool, from plain callbacks (no Effect run on the hot path). */
export interface Recorder {
  readonly state: (queued: number, ready: number, busy: number) => void
  readonly started: (n: number) => void
  readonly completed: (millis: number) => void
  readonly failed: (reason: string) => void
}

export const makeRecorder = (pool: string): Recorder => {
  const tags = [MetricLabel.make("pool", pool)]
  return {
    state: (queued, ready, busy) => {
      queueDepth.unsafeUpdate(queued, tags)
      workers.unsafeUpdate(ready, tags)
      busyWorkers.unsafeUpdate(busy, tags)
    },
    started: (n) => tasksStarted.unsafeUpdate(n, tags),
    completed: (millis) => {
      tasksCompleted.unsafeUpdate(1, tags)
      taskDuration.unsafeUpdate(millis, tags)
    },
    failed: (reason) => tasksFailed.unsafeUpdate(1, [...tags, MetricLabel.make("reason", reason)])
  }
}

export const poolLabel = (module: string): string => module.slice(module.lastIndexOf("/") + 1)
