/**
 * The errors of effect-parallel's infrastructure.
 *
 * A task's own declared failure always arrives as the type its `Task` declares.
 * Everything that can go wrong around it (a worker that dies, a payload that
 * cannot be encoded, a pool that is closed) is one of the tagged errors below,
 * each a `Schema.TaggedError` so that it can cross a thread or process boundary.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A worker thread or child process died while it held the task: it exited,
 * threw an uncaught error, was killed by a signal, or was terminated because a
 * task did not stop within the interrupt grace period.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkerCrashed extends Schema.TaggedError<WorkerCrashed>("effect-parallel/WorkerCrashed")(
  "WorkerCrashed",
  {
    /** The pool-unique id of the worker that died. */
    workerId: Schema.Number,
    /** The tag of the task that was lost with it. */
    task: Schema.String,
    /** The process or thread exit code, when it exited. */
    exitCode: Schema.optional(Schema.Number),
    /** The signal that killed the child process, when one did. */
    signal: Schema.optional(Schema.String),
    /** What happened, in words. */
    reason: Schema.String
  }
) {
  override get message(): string {
    return `worker ${this.workerId} died while running task '${this.task}': ${this.reason}`
  }
}

/**
 * A worker could not be started: the module does not exist, it threw while
 * loading, its initialisation Layer failed, or it did not become ready in time.
 * Raised after a bounded number of attempts, never retried silently.
 *
 * @since 0.1.0
 * @category errors
 */
export class SpawnError extends Schema.TaggedError<SpawnError>("effect-parallel/SpawnError")("SpawnError", {
  /** The worker module that failed to start. */
  module: Schema.String,
  /** How many consecutive attempts failed. */
  attempts: Schema.Number,
  /** The last failure, in words (with the remote stack when there is one). */
  reason: Schema.String
}) {
  override get message(): string {
    return `could not start worker '${this.module}' after ${this.attempts} attempt(s): ${this.reason}`
  }
}

/**
 * A task's payload could not be sent: it failed its Schema, or holds a value
 * that cannot be cloned to another thread or process (a function, a symbol).
 * Only the caller that submitted it sees this; the pool is unaffected.
 *
 * @since 0.1.0
 * @category errors
 */
export class EncodeError extends Schema.TaggedError<EncodeError>("effect-parallel/EncodeError")("EncodeError", {
  task: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `could not encode task '${this.task}': ${this.reason}`
  }
}

/**
 * A message from the other side could not be decoded: a result that fails its
 * Schema, or a task the worker module has no handler for.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("effect-parallel/DecodeError")("DecodeError", {
  task: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `could not decode task '${this.task}': ${this.reason}`
  }
}

/**
 * A task ran longer than its timeout. The timeout counts from the moment the
 * task starts on a worker, not from when it was queued.
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskTimeout extends Schema.TaggedError<TaskTimeout>("effect-parallel/TaskTimeout")("TaskTimeout", {
  task: Schema.String,
  millis: Schema.Number
}) {
  override get message(): string {
    return `task '${this.task}' did not finish within ${this.millis} ms`
  }
}

/**
 * The pool was closed (its scope ended) before the task could finish.
 *
 * @since 0.1.0
 * @category errors
 */
export class PoolClosed extends Schema.TaggedError<PoolClosed>("effect-parallel/PoolClosed")("PoolClosed", {
  task: Schema.String
}) {
  override get message(): string {
    return `the worker pool is closed (task '${this.task}')`
  }
}

/**
 * Every infrastructure error a task submitted to a `WorkerPool` can fail with,
 * beside its own declared failure.
 *
 * @since 0.1.0
 * @category errors
 */
export type WorkerPoolError = WorkerCrashed | SpawnError | EncodeError | DecodeError | TaskTimeout | PoolClosed

/**
 * A pool was given options it cannot work with (a size of 0, a negative
 * timeout, a module that is neither a path nor a URL).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptions extends Schema.TaggedError<InvalidOptions>("effect-parallel/InvalidOptions")(
  "InvalidOptions",
  { reason: Schema.String }
) {
  override get message(): string {
    return `invalid options: ${this.reason}`
  }
}

/**
 * A message was sent to a channel task that has already ended (Python's
 * `EOFError` / `BrokenPipeError`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ChannelClosed extends Schema.TaggedError<ChannelClosed>("effect-parallel/ChannelClosed")(
  "ChannelClosed",
  { task: Schema.String }
) {
  override get message(): string {
    return `the channel of task '${this.task}' is closed`
  }
}
