import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Schema, TestClock } from "effect"
import { NodeWorkerPool, Parallel, SharedEvent, SharedValue } from "../src/index.js"
import { fixture, suspended, waitFor } from "./helpers.js"
import { WaitEvent } from "./fixtures/shared-tasks.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedEvent", () => {
  describe("in one thread", () => {
    it.effect("set, clear, isSet; wait returns at once when set", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        assert.isFalse(yield* SharedEvent.isSet(event))
        yield* SharedEvent.set(event)
        assert.isTrue(yield* SharedEvent.isSet(event))
        yield* SharedEvent.wait(event)
        yield* SharedEvent.clear(event)
        assert.isFalse(yield* SharedEvent.isSet(event))
        assert.isTrue(yield* SharedEvent.isSet(yield* SharedEvent.make({ set: true })))
      }))

    it.effect("set wakes every waiter, even if cleared before they run", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(SharedEvent.wait(event)))
        yield* Effect.forEach(waiters, suspended, { discard: true })
        yield* SharedEvent.set(event)
        yield* SharedEvent.clear(event)
        yield* Effect.forEach(waiters, Fiber.join, { discard: true })
      }))

    it.effect("a timed wait fails with EventTimeout", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        const fiber = yield* Effect.fork(Effect.flip(SharedEvent.wait(event, { timeout: "2 seconds" })))
        yield* suspended(fiber)
        yield* TestClock.adjust("1 second")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        assert.instanceOf(error, SharedEvent.EventTimeout)
        assert.strictEqual(error.millis, 2000)
      }))

    it.effect("the Schema rebuilds a handle over the same memory", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        const copy = Schema.decodeSync(SharedEvent.schema)(structuredClone(Schema.encodeSync(SharedEvent.schema)(event)))
        yield* SharedEvent.set(copy)
        assert.isTrue(yield* SharedEvent.isSet(event))
      }))
  })

  describe("across worker threads", () => {
    it.live("set wakes the waiters in workers and in the main program", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        const waiting = yield* SharedValue.make("int32")
        const jobs = yield* Effect.forEach([0, 1, 2], () => Parallel.submit(new WaitEvent({ event, waiting })))
        const local = yield* Effect.fork(SharedEvent.wait(event))
        yield* suspended(local)
        yield* waitFor("3 tasks to wait", () => SharedValue.get(waiting).pipe(Effect.runSync) === 3)
        for (const job of jobs) assert.isTrue(Option.isNone(yield* job.poll))
        yield* SharedEvent.set(event)
        yield* Fiber.join(local)
        yield* Effect.forEach(jobs, (job) => job.await, { discard: true })
      }).pipe(Effect.provide(threads(3))))

    it.live("a worker's timed wait fails with EventTimeout, typed across the boundary", () =>
      Effect.gen(function*() {
        const event = yield* SharedEvent.make()
        const waiting = yield* SharedValue.make("int32")
        const error = yield* Effect.flip(Parallel.run(new WaitEvent({ event, waiting, millis: 50 })))
        assert.instanceOf(error, SharedEvent.EventTimeout)
        yield* SharedEvent.set(event)
        yield* Parallel.run(new WaitEvent({ event, waiting, millis: 50 }))
      }).pipe(Effect.provide(threads(1))))
  })
})
