/**
 * The worker side of shared-counter.ts: the task and its handler.
 *
 * The task class lives here too; the main program imports it (importing a
 * worker module starts nothing).
 */
import { Effect, Schema } from "effect"
import { threadId } from "node:worker_threads"
import { SharedArray, SharedLock, SharedValue, Task, TaskRunner } from "../src/index.js"

/**
 * miscellaneous.py's `lockfunc(olck, uilaps)`: holding the lock, do `4 * laps`
 * steps; each step takes the next slot of the shared counter and writes this
 * task's id into the shared log at that slot.
 */
export class LockFunc extends Task.Class<LockFunc>()("LockFunc", {
  payload: {
    lock: SharedLock.schema,
    counter: SharedValue.schema("int32"),
    log: SharedArray.schema("int32"),
    id: Schema.Number,
    laps: Schema.Number
  },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export default TaskRunner.make([LockFunc], {
  LockFunc: ({ counter, id, laps, lock, log }) =>
    Effect.gen(function*() {
      for (let step = 0; step < 4 * laps; step++) {
        // a plain read then write: safe only because the lock is held
        const slot = yield* SharedValue.get(counter)
        yield* SharedValue.set(counter, slot + 1)
        yield* SharedArray.set(log, slot, id)
        yield* Effect.yieldNow()
      }
      return threadId
    }).pipe(SharedLock.withLock(lock))
})
