/**
 * multiprocessing's miscellaneous.py (seed 003, Listing 4): a Lock, a Queue and a Pipe shared with processes.
 *
 *   for ui in xrange(1, 2*uicores):
 *       Process(target = lockfunc, args = (olck, ui,)).start()
 *   opq = Process(target = queuefunc, args = (oque,)); opq.start()
 *   print oque.get()
 *   opq.join()
 *   opp = Process(target = pipefunc, args = (oc,)); opp.start()
 *   print op.recv()
 *   opp.join()
 *
 * Each Python process is a `Process.spawn` on its own worker thread here (threads share memory;
 * child processes cannot). The lock holders' lines come out together because each prints only
 * while it holds the SharedLock; the main program prints what arrives on the SharedQueue and
 * through the Pipe.
 *
 * Run: npx tsx examples/mp-misc.ts
 */
import { Effect, Schema } from "effect"
import { Parallel, Pipe, Process, SharedLock, SharedQueue } from "../src/index.js"
import { LockFunc, PipeFunc, QueueFunc } from "./mp-misc-tasks.js"

const module = new URL("./mp-misc-worker.ts", import.meta.url)

const program = Effect.scoped(Effect.gen(function*() {
  const cores = Parallel.cpuCount
  const lock = yield* SharedLock.make()
  const queue = yield* SharedQueue.make(Schema.String, { capacity: 16 })
  const [op, oc] = yield* Pipe.make(Schema.String)

  const laps = Array.from({ length: 2 * cores - 1 }, (_, i) => i + 1)
  const [lockers, opq] = yield* Effect.all([
    Effect.forEach(laps, (ui) => Process.spawn(new LockFunc({ lock, laps: ui }), { module }), {
      concurrency: "unbounded"
    }),
    Process.spawn(new QueueFunc({ queue }), { module })
  ], { concurrency: "unbounded" })
  console.log()
  console.log(yield* SharedQueue.take(queue))
  console.log()
  yield* opq.join

  const opp = yield* Process.spawn(new PipeFunc({ connection: oc }), { module })
  console.log(yield* Pipe.receive(op))
  console.log()
  yield* opp.join

  // Python waits for its remaining (non-daemon) processes before exiting
  yield* Effect.forEach(lockers, (p) => p.join, { discard: true })
}))

Effect.runPromise(program)
