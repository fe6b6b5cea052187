import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import { NodeWorkerPool, Parallel, SharedBarrier, SharedValue } from "../src/index.js"
import { fixture, suspended, waitFor } from "./helpers.js"
import { AwaitBarrier, BarrierRounds } from "./fixtures/shared-tasks.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedBarrier", () => {
  describe("in one thread", () => {
    it.effect("releases all parties together, each with its own arrival index, generation after generation", () =>
      Effect.gen(function*() {
        const barrier = yield* SharedBarrier.make(3)
        assert.strictEqual(barrier.parties, 3)
        for (let round = 0; round < 3; round++) {
          const first = yield* Effect.fork(SharedBarrier.await(barrier))
          yield* suspended(first)
          const second = yield* Effect.fork(SharedBarrier.await(barrier))
          yield* suspended(second)
          assert.strictEqual(yield* SharedBarrier.waiting(barrier), 2)
          assert.isTrue(Option.isNone(yield* Fiber.poll(first)))
          const last = yield* SharedBarrier.await(barrier)
          assert.deepStrictEqual([yield* Fiber.join(first), yield* Fiber.join(second), last], [0, 1, 2])
          assert.strictEqual(yield* SharedBarrier.waiting(barrier), 0)
        }
        assert.strictEqual(yield* SharedBarrier.await(yield* SharedBarrier.make(1)), 0)
      }))

    it.effect("a party that times out fails with BarrierTimeout and breaks the barrier for the others", () =>
      Effect.gen(function*() {
        const barrier = yield* SharedBarrier.make(3)
        const patient = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier)))
        yield* suspended(patient)
        const hasty = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier, { timeout: "1 second" })))
        yield* suspended(hasty)
        yield* TestClock.adjust("1 second")
        assert.instanceOf(yield* Fiber.join(hasty), SharedBarrier.BarrierTimeout)
        assert.instanceOf(yield* Fiber.join(patient), SharedBarrier.BarrierBroken)
        assert.isTrue(yield* SharedBarrier.isBroken(barrier))
        assert.instanceOf(yield* Effect.flip(SharedBarrier.await(barrier)), SharedBarrier.BarrierBroken)
        yield* SharedBarrier.reset(barrier)
        assert.isFalse(yield* SharedBarrier.isBroken(barrier))
        const parties = yield* Effect.all([0, 1, 2].map(() => SharedBarrier.await(barrier)), { concurrency: 3 })
        assert.deepStrictEqual([...parties].sort(), [0, 1, 2])
      }))

    it.effect("interrupting a waiting party breaks the barrier; reset and abort break current waiters", () =>
      Effect.gen(function*() {
        const barrier = yield* SharedBarrier.make(3)
        const other = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier)))
        yield* suspended(other)
        const leaving = yield* Effect.fork(SharedBarrier.await(barrier))
        yield* suspended(leaving)
        yield* Fiber.interrupt(leaving)
        assert.instanceOf(yield* Fiber.join(other), SharedBarrier.BarrierBroken)
        yield* SharedBarrier.reset(barrier)
        // reset while a party waits: it fails rather than passes
        const waiting = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier)))
        yield* suspended(waiting)
        yield* SharedBarrier.reset(barrier)
        assert.instanceOf(yield* Fiber.join(waiting), SharedBarrier.BarrierBroken)
        assert.isFalse(yield* SharedBarrier.isBroken(barrier))
        const aborted = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier)))
        yield* suspended(aborted)
        yield* SharedBarrier.abort(barrier)
        assert.instanceOf(yield* Fiber.join(aborted), SharedBarrier.BarrierBroken)
        assert.isTrue(yield* SharedBarrier.isBroken(barrier))
      }))
  })

  describe("across worker threads", () => {
    it.live("releases all parties together: after each round every party sees that all had arrived", () =>
      Effect.gen(function*() {
        const parties = 4
        const rounds = 50
        const barrier = yield* SharedBarrier.make(parties)
        const arrived = yield* SharedValue.make("int32")
        const results = yield* Parallel.map(
          Array.from({ length: parties }),
          () => new BarrierRounds({ barrier, arrived, rounds })
        )
        for (let round = 0; round < rounds; round++) {
          const indexes = results.map((party) => party[round]!.index).sort()
          assert.deepStrictEqual(indexes, [0, 1, 2, 3], `round ${round}`)
          for (const party of results) {
            // every party counted itself in this round before anyone passed the barrier
            assert.isAtLeast(party[round]!.seen, parties * (round + 1), `round ${round}`)
          }
        }
        assert.strictEqual(yield* SharedValue.get(arrived), parties * rounds)
      }).pipe(Effect.provide(threads(4))))

    it.live("the main program is a party too; a worker's timeout breaks the barrier for it", () =>
      Effect.gen(function*() {
        const barrier = yield* SharedBarrier.make(3)
        const worker = yield* Parallel.submit(new AwaitBarrier({ barrier }))
        yield* waitFor("the worker to arrive", () => SharedBarrier.waiting(barrier).pipe(Effect.runSync) === 1)
        const index = yield* Effect.fork(SharedBarrier.await(barrier))
        yield* waitFor("the main program to arrive", () => SharedBarrier.waiting(barrier).pipe(Effect.runSync) === 2)
        const last = yield* Parallel.run(new AwaitBarrier({ barrier }))
        assert.deepStrictEqual([last, ...[yield* worker.await, yield* Fiber.join(index)].sort()], [2, 0, 1])
        const patient = yield* Effect.fork(Effect.flip(SharedBarrier.await(barrier)))
        yield* suspended(patient)
        const error = yield* Effect.flip(Parallel.run(new AwaitBarrier({ barrier, millis: 50 })))
        assert.instanceOf(error, SharedBarrier.BarrierTimeout)
        assert.instanceOf(yield* Fiber.join(patient), SharedBarrier.BarrierBroken)
      }).pipe(Effect.provide(threads(2))))
  })
})
