/**
 * The lock part of multiprocessing's miscellaneous.py:
 *
 *   def lockfunc(olck, uilaps):
 *       olck.acquire()
 *       for ui in xrange(4*uilaps):
 *           print ' ' + str(ui) + ' lock acquired by pid : ' + str(os.getpid())
 *       olck.release()
 *
 *   olck = Lock()
 *   for ui in xrange(1, 2*uicores):
 *       Process(target = lockfunc, args = (olck, ui,)).start()
 *
 * Here each `lockfunc` is a task on a worker thread. They share a SharedLock,
 * a SharedValue counter and a SharedArray log; holding the lock, each task
 * takes `4 * laps` consecutive slots of the log. The main program then reads
 * the log: every task's steps are contiguous, because no two tasks held the
 * lock at once.
 *
 * Run: npx tsx examples/shared-counter.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel, SharedArray, SharedLock, SharedValue } from "../src/index.js"
import { LockFunc } from "./shared-counter-worker.js"

const program = Effect.gen(function*() {
  const tasks = Array.from({ length: 2 * Parallel.cpuCount - 1 }, (_, i) => ({ id: i + 1, laps: i + 1 }))
  const total = tasks.reduce((sum, { laps }) => sum + 4 * laps, 0)
  const lock = yield* SharedLock.make()
  const counter = yield* SharedValue.make("int32")
  const log = yield* SharedArray.make("int32", total)

  const threads = yield* Parallel.map(tasks, ({ id, laps }) => new LockFunc({ lock, counter, log, id, laps }))

  // Read the log back as runs of the same task id.
  const entries = yield* SharedArray.toArray(log)
  const runs: Array<{ id: number; steps: number }> = []
  for (const id of entries) {
    const last = runs[runs.length - 1]
    if (last !== undefined && last.id === id) last.steps++
    else runs.push({ id, steps: 1 })
  }
  for (const { id, steps } of runs) {
    console.log(` ${steps} steps with the lock acquired by task ${id} (thread ${threads[id - 1]})`)
  }
  console.log(`counter: ${yield* SharedValue.get(counter)} (expected ${total})`)
  console.log(`each task held the lock alone: ${runs.length === tasks.length}`)
})

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./shared-counter-worker.ts", import.meta.url) })),
  Effect.runPromise
)
