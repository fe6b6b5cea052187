/**
 * Child processes cannot share memory: a task holding a shared handle cannot
 * be sent to a process pool. It fails with an EncodeError for that caller only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Errors, NodeWorkerPool, Parallel, SharedLock, SharedValue } from "../src/index.js"
import { fixture } from "./helpers.js"
import { AtomicIncrement, LockedIncrement, MakeCounter } from "./fixtures/shared-tasks.js"

const processes = NodeWorkerPool.layerProcesses({ module: fixture("shared-worker.ts"), size: 1 })

describe("Shared memory and child processes", () => {
  it.live("a task holding a shared handle fails with an EncodeError; the pool stays healthy", () =>
    Effect.gen(function*() {
      const counter = yield* SharedValue.make("int32")
      const error = yield* Effect.flip(Parallel.run(new AtomicIncrement({ counter, times: 1 })))
      assert.instanceOf(error, Errors.EncodeError)
      assert.strictEqual(error.task, "AtomicIncrement")
      assert.include(error.reason, "SharedArrayBuffer")
      const lock = yield* SharedLock.make()
      assert.instanceOf(
        yield* Effect.flip(Parallel.run(new LockedIncrement({ lock, counter, times: 1 }))),
        Errors.EncodeError
      )
      assert.strictEqual(yield* SharedValue.get(counter), 0)
      assert.isFalse(yield* SharedLock.isLocked(lock))
    }).pipe(Effect.provide(processes)))
})
