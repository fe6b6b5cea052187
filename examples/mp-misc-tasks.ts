/**
 * The tasks of mp-misc.ts, shared by the main program and its worker module (mp-misc-worker.ts).
 */
import { Schema } from "effect"
import { Pipe, SharedLock, SharedQueue, Task } from "../src/index.js"

/** miscellaneous.py's `lockfunc(olck, uilaps)`: holding the lock, print `4 * laps` lines. */
export class LockFunc extends Task.Class<LockFunc>()("LockFunc", {
  payload: { lock: SharedLock.schema, laps: Schema.Number },
  success: Schema.Void,
  failure: Schema.Never
}) {}

/** miscellaneous.py's `queuefunc(oque)`: put a message on the queue. */
export class QueueFunc extends Task.Class<QueueFunc>()("QueueFunc", {
  payload: { queue: SharedQueue.schema(Schema.String) },
  success: Schema.Void,
  failure: SharedQueue.QueueShutdown
}) {}

/** miscellaneous.py's `pipefunc(oc)`: send a message through the pipe, then close this end. */
export class PipeFunc extends Task.Class<PipeFunc>()("PipeFunc", {
  payload: { connection: Pipe.schema(Schema.String, Schema.String) },
  success: Schema.Void,
  failure: Pipe.PipeClosed
}) {}
