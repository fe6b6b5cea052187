/**
 * The worker module of mp-misc.ts: one handler per task of mp-misc-tasks.ts.
 */
import { Effect } from "effect"
import { writeSync } from "node:fs"
import { threadId } from "node:worker_threads"
import { Pipe, SharedLock, SharedQueue, TaskRunner } from "../src/index.js"
import { LockFunc, PipeFunc, QueueFunc } from "./mp-misc-tasks.js"

// A worker thread's console output reaches stdout later, through the main thread, so lines printed
// under the lock could still come out interleaved with another thread's: write them to stdout
// directly, while the lock is held.
const print = (line: string) => Effect.sync(() => writeSync(1, `${line}\n`))

export default TaskRunner.make([LockFunc, QueueFunc, PipeFunc], {
  LockFunc: ({ laps, lock }) =>
    Effect.forEach(
      Array.from({ length: 4 * laps }, (_, ui) => ui),
      (ui) => Effect.zipRight(print(` ${ui} lock acquired by thread : ${threadId}`), Effect.yieldNow()),
      { discard: true }
    ).pipe(SharedLock.withLock(lock)),
  QueueFunc: ({ queue }) => SharedQueue.offer(queue, " message in Queue : LPM rockz!!!").pipe(Effect.orDie),
  PipeFunc: ({ connection }) =>
    Effect.zipRight(
      Pipe.send(connection, " message in Pipe : FOSS rulz!!!").pipe(
        Effect.catchTags({ MessageTooLarge: Effect.die, ItemEncodeError: Effect.die })
      ),
      Pipe.close(connection)
    )
})
