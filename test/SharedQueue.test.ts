import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Schema, TestClock } from "effect"
import { Errors, NodeWorkerPool, Parallel, SharedArray, SharedEvent, SharedQueue, SharedValue } from "../src/index.js"
import { defectMessage, fixture, suspended, waitFor } from "./helpers.js"
import {
  Consume,
  OfferEach,
  OfferWhenSet,
  OfferWithin,
  Produce,
  QueuePing,
  TakeOne
} from "./fixtures/queue-tasks.js"

// Eight threads booting at once on a busy two-core machine can take a while: a generous spawn timeout.
const threads = (size: number) =>
  NodeWorkerPool.layerThreads({ module: fixture("queue-worker.ts"), size, spawnTimeout: "2 minutes" })

/** Waits until a fiber is suspended (parked on the queue), yielding to the scheduler in between. */
const numbers = (capacity: number, bytes?: number) =>
  SharedQueue.make(Schema.Number, bytes === undefined ? { capacity } : { capacity, bytes })

describe("SharedQueue", () => {
  describe("in one thread", () => {
    it.effect("first in, first out; size; offerNow and takeNow fail with QueueFull and QueueEmpty", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(3)
        assert.strictEqual(queue.capacity, 3)
        yield* SharedQueue.offer(queue, 1)
        yield* SharedQueue.offerNow(queue, 2)
        yield* SharedQueue.offerAll(queue, [])
        yield* SharedQueue.offer(queue, 3)
        assert.strictEqual(yield* SharedQueue.size(queue), 3)
        const full = yield* Effect.flip(SharedQueue.offerNow(queue, 4))
        assert.instanceOf(full, SharedQueue.QueueFull)
        assert.isUndefined(full.millis)
        assert.strictEqual(yield* SharedQueue.take(queue), 1)
        assert.strictEqual(yield* SharedQueue.takeNow(queue), 2)
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(queue, 0, 10), [3])
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(queue, 0, 10), [])
        assert.instanceOf(yield* Effect.flip(SharedQueue.takeNow(queue)), SharedQueue.QueueEmpty)
        assert.strictEqual(yield* SharedQueue.size(queue), 0)
      }))

    it.effect("items of every length wrap around a small ring intact and in order", () =>
      Effect.gen(function*() {
        const Item = Schema.Struct({ id: Schema.Number, text: Schema.String })
        const queue = yield* SharedQueue.make(Item, { capacity: 8, bytes: 250 })
        assert.strictEqual(queue.bytes, 252)
        let next = 0
        const expected: Array<typeof Item.Type> = []
        for (let round = 0; round < 300; round++) {
          const count = (round % 3) + 1
          const batch = Array.from({ length: count }, () => {
            const id = next++
            return { id, text: "x".repeat((id * 7) % 23) }
          })
          yield* SharedQueue.offerAll(queue, batch)
          expected.push(...batch)
          const taken = yield* SharedQueue.takeBetween(queue, 1, (round % 4) + 1)
          assert.deepStrictEqual(taken, expected.splice(0, taken.length))
        }
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(queue, 0, 8), expected)
      }))

    it.effect("an item that can never fit fails with MessageTooLarge; one that fails its Schema with ItemEncodeError", () =>
      Effect.gen(function*() {
        const queue = yield* SharedQueue.make(Schema.String, { capacity: 4, bytes: 64 })
        const tooLarge = yield* Effect.flip(SharedQueue.offer(queue, "x".repeat(100)))
        assert.instanceOf(tooLarge, SharedQueue.MessageTooLarge)
        assert.strictEqual(tooLarge.limit, 64)
        assert.isAbove(tooLarge.bytes, 100)
        const batch = yield* Effect.flip(SharedQueue.offerAll(queue, ["x".repeat(20), "y".repeat(20), "z".repeat(20)]))
        assert.instanceOf(batch, SharedQueue.MessageTooLarge)
        const ints = yield* SharedQueue.make(Schema.Int, { capacity: 4 })
        const encode = yield* Effect.flip(SharedQueue.offer(ints, 1.5))
        assert.instanceOf(encode, SharedQueue.ItemEncodeError)
        const unknowns = yield* SharedQueue.make(Schema.Unknown, { capacity: 4 })
        const uncloneable = yield* Effect.flip(SharedQueue.offer(unknowns, () => 1))
        assert.instanceOf(uncloneable, SharedQueue.ItemEncodeError)
        assert.include(uncloneable.message, "could not be cloned")
        // an Option (a declared type) loses its prototype in serialisation: refused when offered, not lost when taken
        const options = yield* SharedQueue.make(Schema.OptionFromSelf(Schema.Number), { capacity: 4 })
        const lost = yield* Effect.flip(SharedQueue.offer(options, Option.some(1)))
        assert.instanceOf(lost, SharedQueue.ItemEncodeError)
        assert.include(lost.message, "does not survive serialisation")
        assert.strictEqual(yield* SharedQueue.size(options), 0)
        const dates = yield* SharedQueue.make(Schema.DateFromSelf, { capacity: 4 })
        yield* SharedQueue.offer(dates, new Date(0))
        assert.strictEqual((yield* SharedQueue.take(dates)).getTime(), 0)
        assert.strictEqual(yield* SharedQueue.size(queue), 0)
        assert.strictEqual(yield* SharedQueue.size(unknowns), 0)
        // more items than the capacity can never be offered at once: a defect
        const exit = yield* Effect.exit(SharedQueue.offerAll(queue, ["a", "b", "c", "d", "e"]))
        assert.include(defectMessage(exit), "can never fit")
      }))

    it.effect("bounded by items: an offer waits while the queue is full and proceeds when an item is taken", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(2)
        yield* SharedQueue.offerAll(queue, [1, 2])
        const offer = yield* Effect.fork(SharedQueue.offer(queue, 3))
        yield* suspended(offer)
        assert.strictEqual(yield* SharedQueue.size(queue), 2)
        assert.strictEqual(yield* SharedQueue.take(queue), 1)
        yield* Fiber.join(offer)
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(queue, 2, 2), [2, 3])
      }))

    it.effect("bounded by bytes: an offer waits for room in bytes though the item count is low", () =>
      Effect.gen(function*() {
        const queue = yield* SharedQueue.make(Schema.String, { capacity: 100, bytes: 64 })
        yield* SharedQueue.offer(queue, "a".repeat(30))
        const offer = yield* Effect.fork(SharedQueue.offer(queue, "b".repeat(30)))
        yield* suspended(offer)
        assert.strictEqual(yield* SharedQueue.size(queue), 1)
        assert.instanceOf(yield* Effect.flip(SharedQueue.offerNow(queue, "c".repeat(30))), SharedQueue.QueueFull)
        assert.strictEqual(yield* SharedQueue.take(queue), "a".repeat(30))
        yield* Fiber.join(offer)
        assert.strictEqual(yield* SharedQueue.take(queue), "b".repeat(30))
      }))

    it.effect("timeouts fail typed, driven by the TestClock: QueueEmpty for a take, QueueFull for an offer", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(1)
        const take = yield* Effect.fork(Effect.flip(SharedQueue.take(queue, { timeout: "1 second" })))
        yield* suspended(take)
        yield* TestClock.adjust("999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(take)))
        yield* TestClock.adjust("1 millis")
        const empty = yield* Fiber.join(take)
        assert.instanceOf(empty, SharedQueue.QueueEmpty)
        assert.strictEqual(empty.millis, 1000)
        yield* SharedQueue.offer(queue, 1)
        const offer = yield* Effect.fork(Effect.flip(SharedQueue.offer(queue, 2, { timeout: 50 })))
        yield* suspended(offer)
        yield* TestClock.adjust(50)
        const full = yield* Fiber.join(offer)
        assert.instanceOf(full, SharedQueue.QueueFull)
        assert.strictEqual(full.millis, 50)
        // nothing was offered by the offer that timed out
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(queue, 0, 10), [1])
        // an item that arrives in time is taken
        const inTime = yield* Effect.fork(SharedQueue.take(queue, { timeout: "1 second" }))
        yield* suspended(inTime)
        yield* SharedQueue.offer(queue, 7)
        assert.strictEqual(yield* Fiber.join(inTime), 7)
      }))

    it.effect("shutdown wakes every waiter with QueueShutdown; offers fail; takes drain what is left, then fail", () =>
      Effect.gen(function*() {
        const empty = yield* numbers(2)
        const takers = [
          yield* Effect.fork(Effect.flip(SharedQueue.take(empty))),
          yield* Effect.fork(Effect.flip(SharedQueue.take(empty)))
        ]
        const full = yield* numbers(2)
        yield* SharedQueue.offerAll(full, [1, 2])
        const offerer = yield* Effect.fork(Effect.flip(SharedQueue.offer(full, 3)))
        const joiner = yield* Effect.fork(Effect.flip(SharedQueue.join(full)))
        for (const taker of takers) yield* suspended(taker)
        yield* suspended(offerer)
        yield* suspended(joiner)
        yield* SharedQueue.shutdown(empty)
        yield* SharedQueue.shutdown(full)
        yield* SharedQueue.shutdown(full)
        for (const taker of takers) assert.instanceOf(yield* Fiber.join(taker), SharedQueue.QueueShutdown)
        assert.instanceOf(yield* Fiber.join(offerer), SharedQueue.QueueShutdown)
        assert.instanceOf(yield* Fiber.join(joiner), SharedQueue.QueueShutdown)
        assert.isTrue(yield* SharedQueue.isShutdown(full))
        assert.instanceOf(yield* Effect.flip(SharedQueue.offer(full, 4)), SharedQueue.QueueShutdown)
        assert.instanceOf(yield* Effect.flip(SharedQueue.offerNow(full, 4)), SharedQueue.QueueShutdown)
        assert.strictEqual(yield* SharedQueue.take(full), 1)
        assert.deepStrictEqual(yield* SharedQueue.takeBetween(full, 2, 2), [2])
        assert.instanceOf(yield* Effect.flip(SharedQueue.take(full)), SharedQueue.QueueShutdown)
        assert.instanceOf(yield* Effect.flip(SharedQueue.takeNow(full)), SharedQueue.QueueShutdown)
      }))

    it.effect("join waits until every offered item is marked done; taskDone once too often is a defect", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(10)
        yield* SharedQueue.join(queue)
        yield* SharedQueue.offerAll(queue, [1, 2, 3])
        const joiner = yield* Effect.fork(SharedQueue.join(queue))
        yield* suspended(joiner)
        yield* SharedQueue.takeBetween(queue, 3, 3)
        assert.strictEqual(yield* SharedQueue.unfinished(queue), 3)
        yield* SharedQueue.taskDone(queue)
        yield* SharedQueue.taskDone(queue)
        yield* Effect.yieldNow()
        assert.isTrue(Option.isNone(yield* Fiber.poll(joiner)))
        yield* SharedQueue.taskDone(queue)
        yield* Fiber.join(joiner)
        assert.strictEqual(yield* SharedQueue.unfinished(queue), 0)
        const exit = yield* Effect.exit(SharedQueue.taskDone(queue))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(defectMessage(exit), "taskDone")
      }))

    it.effect("an interrupted take never consumes an item: a later take gets it", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const take = yield* Effect.fork(SharedQueue.take(queue))
        yield* suspended(take)
        yield* Fiber.interrupt(take)
        yield* SharedQueue.offer(queue, 42)
        assert.strictEqual(yield* SharedQueue.takeNow(queue), 42)
        // many interleavings of an offer and the interruption of a waiting take: the item is either
        // returned by the take or still in the queue, never both, never lost
        for (let i = 0; i < 60; i++) {
          const taker = yield* Effect.fork(SharedQueue.take(queue))
          yield* suspended(taker)
          yield* SharedQueue.offer(queue, i)
          for (let j = 0; j < i % 5; j++) yield* Effect.yieldNow()
          const exit = yield* Fiber.interrupt(taker)
          const left = yield* SharedQueue.takeBetween(queue, 0, 4)
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value, i, `round ${i}`)
            assert.deepStrictEqual(left, [], `round ${i}`)
          } else {
            assert.deepStrictEqual(left, [i], `round ${i}`)
          }
        }
      }))

    it.effect("an interrupted offer never half-writes an item: it is offered whole or not at all", () =>
      Effect.gen(function*() {
        const queue = yield* SharedQueue.make(Schema.String, { capacity: 2 })
        for (let i = 0; i < 60; i++) {
          yield* SharedQueue.offerAll(queue, ["a", "b"])
          const offerer = yield* Effect.fork(SharedQueue.offer(queue, `item ${i}`))
          yield* suspended(offerer)
          assert.strictEqual(yield* SharedQueue.take(queue), "a")
          for (let j = 0; j < i % 5; j++) yield* Effect.yieldNow()
          const exit = yield* Fiber.interrupt(offerer)
          const left = yield* SharedQueue.takeBetween(queue, 0, 4)
          assert.deepStrictEqual(left, Exit.isSuccess(exit) ? ["b", `item ${i}`] : ["b"], `round ${i}`)
        }
      }))

    it.effect("the Schema rebuilds a handle over the same queue, and refuses one made for other items", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const encoded = Schema.encodeSync(SharedQueue.schema(Schema.Number))(queue)
        assert.strictEqual(encoded.buffer, queue.buffer)
        const decoded = Schema.decodeSync(SharedQueue.schema(Schema.Number))(structuredClone(encoded))
        assert.isTrue(SharedQueue.isSharedQueue(decoded))
        yield* SharedQueue.offer(decoded, 5)
        assert.strictEqual(yield* SharedQueue.take(queue), 5)
        const other = Schema.decodeUnknownEither(SharedQueue.schema(Schema.String))(encoded)
        assert.isTrue(other._tag === "Left")
        assert.include(String(other._tag === "Left" ? other.left : ""), "another Schema")
        const bad = Schema.decodeUnknownEither(SharedQueue.schema(Schema.Number))({
          buffer: new SharedArrayBuffer(100),
          lock: encoded.lock
        })
        assert.isTrue(bad._tag === "Left")
      }))
  })

  layer(threads(8), { excludeTestServices: true, timeout: "3 minutes" })("across worker threads", (it) => {
    it.effect("4 producers and 4 consumers move 100,000 items: none lost, none duplicated", () =>
      Effect.gen(function*() {
        const total = 100_000
        const queue = yield* numbers(2_000, 64 * 1024)
        const seen = yield* SharedArray.make("int32", total)
        const consumers = yield* Effect.forEach(
          [0, 1, 2, 3],
          () => Parallel.submit(new Consume({ queue, seen, batch: 500 }))
        )
        yield* Parallel.map([0, 1, 2, 3], (p) => new Produce({ queue, from: p * 25_000, count: 25_000, batch: 250 }), {
          concurrency: 4
        })
        yield* SharedQueue.join(queue)
        yield* SharedQueue.shutdown(queue)
        const taken = yield* Effect.forEach(consumers, (job) => job.await)
        assert.strictEqual(taken.reduce((a, b) => a + b, 0), total)
        const counts = yield* SharedArray.toArray(seen)
        const wrong = counts.findIndex((count) => count !== 1)
        assert.strictEqual(wrong, -1, `item ${wrong} was taken ${counts[wrong]} times`)
        assert.strictEqual(yield* SharedQueue.size(queue), 0)
        assert.strictEqual(yield* SharedQueue.unfinished(queue), 0)
      }))

    it.effect("a producer in a worker waits while the queue is full and proceeds when the main program takes", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(3)
        const started = yield* SharedValue.make("int32")
        const producer = yield* Parallel.submit(new OfferEach({ queue, items: [1, 2, 3, 4, 5], started }))
        // the fourth offer has begun: it waits, the queue holding three items
        yield* waitFor("the fourth offer", () => Effect.runSync(SharedValue.get(started)) === 4)
        assert.strictEqual(yield* SharedQueue.size(queue), 3)
        assert.isFalse(yield* producer.finished)
        const taken: Array<number> = []
        while (taken.length < 5) taken.push(yield* SharedQueue.take(queue))
        yield* producer.await
        assert.deepStrictEqual(taken, [1, 2, 3, 4, 5])
      }))

    it.effect("timeouts in a worker fail typed across the boundary: QueueEmpty and QueueFull", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(1)
        const waiting = yield* SharedValue.make("int32")
        const empty = yield* Effect.flip(Parallel.run(new TakeOne({ queue, waiting, millis: 30 })))
        assert.instanceOf(empty, SharedQueue.QueueEmpty)
        assert.strictEqual(empty.millis, 30)
        yield* SharedQueue.offer(queue, 1)
        const full = yield* Effect.flip(Parallel.run(new OfferWithin({ queue, item: 2, millis: 30 })))
        assert.instanceOf(full, SharedQueue.QueueFull)
        assert.strictEqual(yield* SharedQueue.take(queue), 1)
        const local = yield* Effect.flip(SharedQueue.take(queue, { timeout: "30 millis" }))
        assert.instanceOf(local, SharedQueue.QueueEmpty)
      }))

    it.effect("shutting down from the main program wakes a worker waiting to take, with QueueShutdown", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const waiting = yield* SharedValue.make("int32")
        const taker = yield* Parallel.submit(new TakeOne({ queue, waiting }))
        yield* waitFor("the worker to wait", () => Effect.runSync(SharedValue.get(waiting)) === 1)
        yield* SharedQueue.shutdown(queue)
        assert.instanceOf(yield* Effect.flip(taker.await), SharedQueue.QueueShutdown)
      }))

    it.effect("join in the main program waits for workers to mark every item done", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(100)
        const seen = yield* SharedArray.make("int32", 300)
        const consumers = yield* Effect.forEach([0, 1], () => Parallel.submit(new Consume({ queue, seen, batch: 7 })))
        for (let i = 0; i < 300; i += 50) yield* SharedQueue.offerAll(queue, Array.from({ length: 50 }, (_, j) => i + j))
        yield* SharedQueue.join(queue)
        assert.strictEqual(yield* SharedQueue.unfinished(queue), 0)
        assert.isTrue((yield* SharedArray.toArray(seen)).every((count) => count === 1))
        yield* SharedQueue.shutdown(queue)
        const taken = yield* Effect.forEach(consumers, (job) => job.await)
        assert.strictEqual(taken[0]! + taken[1]!, 300)
      }))

    it.effect("a task interrupted while it waits to take never consumes an item: the main program gets it", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const waiting = yield* SharedValue.make("int32")
        const taker = yield* Parallel.submit(new TakeOne({ queue, waiting }))
        yield* waitFor("the worker to wait", () => Effect.runSync(SharedValue.get(waiting)) === 1)
        yield* taker.interrupt
        yield* SharedQueue.offer(queue, 9)
        assert.strictEqual(yield* SharedQueue.takeNow(queue), 9)
      }))

    it.effect("the main thread's event loop keeps running while it waits on a queue a worker fills later", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const go = yield* SharedEvent.make()
        const producer = yield* Parallel.submit(new OfferWhenSet({ queue, go, item: 11 }))
        const taker = yield* Effect.fork(SharedQueue.take(queue))
        yield* suspended(taker)
        // a plain timer and an I/O callback both run while the fiber waits for an item
        const fired = yield* Effect.promise(() => new Promise<string>((resolve) => setTimeout(() => resolve("timer"), 20)))
        assert.strictEqual(fired, "timer")
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isTrue(Option.isNone(yield* Fiber.poll(taker)))
        yield* SharedEvent.set(go)
        assert.strictEqual(yield* Fiber.join(taker), 11)
        yield* producer.await
      }))
  })

  describe("child processes", () => {
    it.live("a task holding a queue fails with an EncodeError for its caller; the pool stays healthy", () =>
      Effect.gen(function*() {
        const queue = yield* numbers(4)
        const error = yield* Effect.flip(Parallel.run(new Produce({ queue, from: 0, count: 1, batch: 1 })))
        assert.instanceOf(error, Errors.EncodeError)
        assert.strictEqual(error.task, "Produce")
        assert.include(error.reason, "SharedArrayBuffer")
        assert.strictEqual(yield* Parallel.run(new QueuePing()), "pong")
      }).pipe(
        Effect.provide(NodeWorkerPool.layerProcesses({ module: fixture("queue-worker.ts"), size: 1, spawnTimeout: "2 minutes" }))
      ))
  })
})
