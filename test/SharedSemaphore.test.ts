import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import { NodeWorkerPool, Parallel, SharedEvent, SharedSemaphore, SharedValue } from "../src/index.js"
import { fixture, suspended } from "./helpers.js"
import { Bounded, TakePermits } from "./fixtures/shared-tasks.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedSemaphore", () => {
  describe("in one thread", () => {
    it.effect("take, tryTake, release, available", () =>
      Effect.gen(function*() {
        const semaphore = yield* SharedSemaphore.make(3)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 3)
        yield* SharedSemaphore.take(semaphore, 2)
        assert.isFalse(yield* SharedSemaphore.tryTake(semaphore, 2))
        assert.isTrue(yield* SharedSemaphore.tryTake(semaphore, 1))
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 0)
        yield* SharedSemaphore.release(semaphore, 3)
        assert.strictEqual(yield* semaphore.pipe(SharedSemaphore.release(1), Effect.zipRight(SharedSemaphore.available(semaphore))), 4)
      }))

    it.effect("a waiter for several permits wakes when enough are released", () =>
      Effect.gen(function*() {
        const semaphore = yield* SharedSemaphore.make(0)
        const waiter = yield* Effect.fork(SharedSemaphore.take(semaphore, 2))
        yield* suspended(waiter)
        yield* SharedSemaphore.release(semaphore, 1)
        yield* suspended(waiter)
        assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
        yield* SharedSemaphore.release(semaphore, 1)
        yield* Fiber.join(waiter)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 0)
      }))

    it.effect("withPermits gives the permits back on every exit; a timed wait fails typed and takes nothing", () =>
      Effect.gen(function*() {
        const semaphore = yield* SharedSemaphore.make(2)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore).pipe(SharedSemaphore.withPermits(semaphore, 2)), 0)
        yield* Effect.flip(Effect.fail("boom").pipe(SharedSemaphore.withPermits(semaphore, 1)))
        const interrupted = yield* Effect.fork(Effect.never.pipe(SharedSemaphore.withPermits(semaphore, 2)))
        yield* suspended(interrupted)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 0)
        yield* Fiber.interrupt(interrupted)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 2)
        yield* SharedSemaphore.take(semaphore, 1)
        const timed = yield* Effect.fork(Effect.flip(SharedSemaphore.take(semaphore, 2, { timeout: "1 second" })))
        yield* suspended(timed)
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(timed)
        assert.instanceOf(error, SharedSemaphore.SemaphoreTimeout)
        assert.strictEqual(error.permits, 2)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 1)
      }))

    it.effect("bad counts are defects", () =>
      Effect.gen(function*() {
        assert.isTrue((yield* Effect.exit(SharedSemaphore.make(-1)))._tag === "Failure")
        const semaphore = yield* SharedSemaphore.make(1)
        assert.isTrue((yield* Effect.exit(SharedSemaphore.take(semaphore, 1.5)))._tag === "Failure")
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 1)
      }))
  })

  describe("across worker threads", () => {
    it.live("bounds concurrency across threads: the shared count of holders never exceeds the permits", () =>
      Effect.gen(function*() {
        const semaphore = yield* SharedSemaphore.make(2)
        const current = yield* SharedValue.make("int32")
        const max = yield* SharedValue.make("int32")
        yield* Parallel.map([0, 1, 2, 3], () => new Bounded({ semaphore, current, max, rounds: 500 }))
        const highest = yield* SharedValue.get(max)
        assert.isAtLeast(highest, 1)
        assert.isAtMost(highest, 2)
        assert.strictEqual(yield* SharedValue.get(current), 0)
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 2)
      }).pipe(Effect.provide(threads(4))))

    it.live("a worker waits while the main program holds the permits it needs", () =>
      Effect.gen(function*() {
        const semaphore = yield* SharedSemaphore.make(3)
        const taken = yield* SharedEvent.make()
        yield* SharedSemaphore.take(semaphore, 2)
        const job = yield* Parallel.submit(new TakePermits({ semaphore, permits: 2, taken }))
        assert.isTrue(
          (yield* Effect.either(SharedEvent.wait(taken, { timeout: "100 millis" })))._tag === "Left"
        )
        yield* SharedSemaphore.release(semaphore, 2)
        yield* SharedEvent.wait(taken)
        yield* job.await
        assert.strictEqual(yield* SharedSemaphore.available(semaphore), 3)
      }).pipe(Effect.provide(threads(1))))
  })
})
