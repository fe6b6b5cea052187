import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { NodeWorkerPool, Parallel, SharedCondition, SharedLock, SharedValue } from "../src/index.js"
import { Consume } from "./fixtures/shared-tasks.js"
import { defectMessage, fixture, suspended } from "./helpers.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedCondition", () => {
  describe("in one thread", () => {
    it.effect("waitFor returns once a notifier under the lock made the predicate true", () =>
      Effect.gen(function*() {
        const ready = yield* SharedCondition.make()
        const value = yield* SharedValue.make("int32")
        const waiter = yield* Effect.fork(
          SharedLock.withLock(SharedCondition.waitFor(ready, Effect.map(SharedValue.get(value), (v) => v === 2)), ready.lock)
        )
        yield* suspended(waiter)
        // a notification that leaves the predicate false: the waiter waits again
        yield* SharedLock.withLock(Effect.zipRight(SharedValue.set(value, 1), SharedCondition.notify(ready)), ready.lock)
        yield* suspended(waiter)
        assert.isNull(waiter.unsafePoll())
        yield* SharedLock.withLock(Effect.zipRight(SharedValue.set(value, 2), SharedCondition.notify(ready)), ready.lock)
        assert.isTrue(yield* Fiber.join(waiter))
        assert.isFalse(yield* SharedLock.isLocked(ready.lock))
      }))

    it.live("wait and waitFor give false after their timeout, holding the lock again", () =>
      Effect.gen(function*() {
        const ready = yield* SharedCondition.make()
        const out = yield* SharedLock.withLock(
          Effect.gen(function*() {
            const waited = yield* SharedCondition.wait(ready, { timeout: "20 millis" })
            // a timeout of 0 does not wait, and nobody has notified
            assert.isFalse(yield* SharedCondition.wait(ready, { timeout: 0 }))
            const locked = yield* SharedLock.isLocked(ready.lock)
            const waitedFor = yield* SharedCondition.waitFor(ready, Effect.succeed(false), { timeout: "20 millis" })
            return { waited, locked, waitedFor }
          }),
          ready.lock
        )
        assert.deepStrictEqual(out, { waited: false, locked: true, waitedFor: false })
        assert.isFalse(yield* SharedLock.isLocked(ready.lock))
      }))

    it.effect("an interrupted wait takes the lock back first, so the enclosing withLock releases it", () =>
      Effect.gen(function*() {
        const ready = yield* SharedCondition.make()
        const waiter = yield* Effect.fork(SharedLock.withLock(SharedCondition.wait(ready), ready.lock))
        yield* suspended(waiter)
        // while it waits, the lock is free for others
        assert.isFalse(yield* SharedLock.isLocked(ready.lock))
        const exit = yield* Fiber.interrupt(waiter)
        // interrupted, and nothing else: withLock released a lock the wait had taken back (no "not locked" defect)
        assert.isTrue(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
        assert.isFalse(yield* SharedLock.isLocked(ready.lock))
        assert.isTrue(yield* SharedLock.tryAcquire(ready.lock))
        yield* SharedLock.release(ready.lock)
      }))

    it.effect("with a reentrant lock, wait lets go of every hold and takes them all back", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make({ reentrant: true })
        const ready = yield* SharedCondition.make({ lock })
        const waiter = yield* Effect.fork(
          SharedLock.withLock(SharedLock.withLock(SharedCondition.wait(ready), lock), lock)
        )
        yield* suspended(waiter)
        // another fiber can take the lock: both holds were let go of
        yield* SharedLock.withLock(SharedCondition.notify(ready), lock)
        assert.isTrue(yield* Fiber.join(waiter))
        // both withLocks released their holds: the lock is free
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }))

    it.effect("notifyAll wakes every waiter; wait and notify without the lock are defects", () =>
      Effect.gen(function*() {
        const ready = yield* SharedCondition.make()
        const waiters = yield* Effect.forEach([1, 2, 3], () =>
          Effect.fork(SharedLock.withLock(SharedCondition.wait(ready), ready.lock)))
        yield* Effect.forEach(waiters, suspended)
        yield* SharedLock.withLock(SharedCondition.notifyAll(ready), ready.lock)
        assert.deepStrictEqual(yield* Effect.forEach(waiters, Fiber.join), [true, true, true])
        assert.include(defectMessage(yield* Effect.exit(SharedCondition.notify(ready))), "lock is not held")
        assert.include(defectMessage(yield* Effect.exit(SharedCondition.wait(ready))), "lock is not held")
        assert.include(defectMessage(yield* Effect.exit(SharedCondition.notify(ready, 0))), "positive integer")
      }))
  })

  describe("across worker threads", () => {
    it.live("consumers in 3 workers take exactly what the main program produces, one item at a time", () =>
      Effect.gen(function*() {
        const ready = yield* SharedCondition.make()
        const stock = yield* SharedValue.make("int32")
        const taken = yield* SharedValue.make("int32")
        const consumers = yield* Effect.forEach([1, 2, 3], () =>
          Parallel.submit(new Consume({ ready, stock, taken, times: 20 })))
        for (let i = 0; i < 60; i++) {
          yield* SharedLock.withLock(Effect.zipRight(SharedValue.add(stock, 1), SharedCondition.notify(ready)), ready.lock)
          if (i % 7 === 0) yield* Effect.sleep("1 millis")
        }
        yield* Effect.forEach(consumers, (job) => job)
        assert.strictEqual(yield* SharedValue.get(taken), 60)
        assert.strictEqual(yield* SharedValue.get(stock), 0)
      }).pipe(Effect.provide(threads(3))))
  })
})
