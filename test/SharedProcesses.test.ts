/**
 * Child processes cannot share memory: a SharedArrayBuffer cannot be sent to
 * or from a child process (Node's "advanced" IPC serialization refuses it
 * rather than copying it), so shared handles work with worker threads only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Errors, NodeWorkerPool, Parallel, SharedLock, SharedValue } from "../src/index.js"
import { fixture } from "./helpers.js"
import { AtomicIncrement, LockedIncrement, MakeCounter, Ping } from "./fixtures/shared-tasks.js"

const processes = NodeWorkerPool.layerProcesses({ module: fixture("shared-worker.ts"), size: 1 })

describe("Shared memory and child processes", () => {
  it.live("a task holding a shared handle fails with an EncodeError for its caller; the pool stays healthy", () =>
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
      assert.strictEqual(yield* Parallel.run(new Ping()), "pong")
    }).pipe(Effect.provide(processes)))

  it.live("a handle returned by a task in a child process cannot come back: the task fails typed, the pool serves on", () =>
    Effect.gen(function*() {
      // the reply cannot be cloned to the parent: that task fails typed, its worker lives on
      const error = yield* Effect.flip(Parallel.run(new MakeCounter({ value: 1 })))
      assert.instanceOf(error, Errors.DecodeError)
      assert.include(error.message, "SharedArrayBuffer")
      assert.strictEqual(yield* Parallel.run(new Ping()), "pong")
    }).pipe(Effect.provide(processes)))
})
