import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Option, Schema, TestClock } from "effect"
import { NodeWorkerPool, Parallel, SharedEvent, SharedLock, SharedValue } from "../src/index.js"
import { fixture, suspended, waitFor } from "./helpers.js"
import { AcquireWithin, AtomicIncrement, HoldLock, LockedIncrement, WaitForLock } from "./fixtures/shared-tasks.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

/** Waits until a fiber is suspended (parked on the lock), yielding to the scheduler in between. */
describe("SharedLock", () => {
  describe("in one thread", () => {
    it.effect("acquire, tryAcquire, release, isLocked", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        assert.isFalse(yield* SharedLock.isLocked(lock))
        assert.isTrue(yield* SharedLock.tryAcquire(lock))
        assert.isTrue(yield* SharedLock.isLocked(lock))
        assert.isFalse(yield* SharedLock.tryAcquire(lock))
        yield* SharedLock.release(lock)
        yield* SharedLock.acquire(lock)
        assert.isTrue(yield* SharedLock.isLocked(lock))
        yield* SharedLock.release(lock)
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }))

    it.effect("an infinite timeout is none, as a task's is; one that is not a duration is a defect", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        yield* SharedLock.acquire(lock, { timeout: Duration.infinity })
        assert.isTrue(yield* SharedLock.isLocked(lock))
        yield* SharedLock.release(lock)
        const exit = yield* Effect.exit(SharedLock.acquire(lock, { timeout: "forever" as Duration.DurationInput }))
        assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }))

    it.effect("releasing an unlocked lock is a defect", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(SharedLock.release(yield* SharedLock.make()))
        assert.isTrue(Exit.isFailure(exit) && Exit.causeOption(exit).pipe(Option.isSome))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "not locked")
      }))

    it.effect("withLock releases on success, failure and interruption", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        assert.strictEqual(yield* Effect.succeed(1).pipe(SharedLock.withLock(lock)), 1)
        assert.isFalse(yield* SharedLock.isLocked(lock))
        yield* Effect.flip(Effect.fail("boom").pipe(SharedLock.withLock(lock)))
        assert.isFalse(yield* SharedLock.isLocked(lock))
        const fiber = yield* Effect.fork(SharedLock.withLock(Effect.never, lock))
        yield* suspended(fiber)
        assert.isTrue(yield* SharedLock.isLocked(lock))
        yield* Fiber.interrupt(fiber)
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }))

    it.scoped("acquireScoped holds the lock until the scope closes", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        yield* Effect.scoped(
          Effect.gen(function*() {
            yield* SharedLock.acquireScoped(lock)
            assert.isTrue(yield* SharedLock.isLocked(lock))
          })
        )
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }))

    it.scoped("a scoped hold of a reentrant lock is given back right, whatever else its fiber did meanwhile", () =>
      Effect.gen(function*() {
        const a = yield* SharedLock.make({ reentrant: true })
        const b = yield* SharedLock.make({ reentrant: true })
        yield* SharedLock.acquire(b)
        yield* Effect.scoped(
          Effect.gen(function*() {
            yield* SharedLock.acquireScoped(a)
            yield* SharedLock.release(b)
          })
        )
        assert.isFalse(yield* SharedLock.isLocked(a))
        assert.isFalse(yield* SharedLock.isLocked(b))
        // this fiber holds neither now: acquiring `a` takes it for real
        yield* SharedLock.acquire(a)
        assert.isTrue(yield* SharedLock.isLocked(a))
        yield* SharedLock.release(a)
        assert.isFalse(yield* SharedLock.isLocked(a))
      }))

    it.effect("a timed acquire fails with LockTimeout while the lock is held, and does not take it", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        yield* SharedLock.acquire(lock)
        const fiber = yield* Effect.fork(Effect.flip(SharedLock.acquire(lock, { timeout: "1 second" })))
        yield* suspended(fiber)
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        assert.instanceOf(error, SharedLock.LockTimeout)
        assert.strictEqual(error.millis, 1000)
        yield* SharedLock.release(lock)
        assert.isFalse(yield* SharedLock.isLocked(lock))
        const withLock = yield* Effect.fork(Effect.flip(Effect.void.pipe(SharedLock.withLock(lock, { timeout: 10 }))))
        yield* SharedLock.acquire(lock)
        yield* suspended(withLock)
        yield* TestClock.adjust(10)
        assert.instanceOf(yield* Fiber.join(withLock), SharedLock.LockTimeout)
      }))

    it.effect("an interrupted waiter never ends up holding the lock, and passes its wake-up on", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        yield* SharedLock.acquire(lock)
        // a and b both park on the lock; a is interrupted, then the lock is released: the wake-up
        // that V8 delivers to a's abandoned wait must reach b
        const a = yield* Effect.fork(SharedLock.withLock(Effect.succeed("a"), lock))
        yield* suspended(a)
        const b = yield* Effect.fork(SharedLock.withLock(Effect.succeed("b"), lock))
        yield* suspended(b)
        yield* Fiber.interrupt(a)
        yield* SharedLock.release(lock)
        assert.strictEqual(yield* Fiber.join(b), "b")
        assert.isFalse(yield* SharedLock.isLocked(lock))
        // many interleavings of release and interruption leave the lock free
        for (let i = 0; i < 50; i++) {
          yield* SharedLock.acquire(lock)
          const waiter = yield* Effect.fork(SharedLock.withLock(Effect.never, lock))
          yield* suspended(waiter)
          yield* SharedLock.release(lock)
          for (let j = 0; j < i % 4; j++) yield* Effect.yieldNow()
          yield* Fiber.interrupt(waiter)
          assert.isFalse(yield* SharedLock.isLocked(lock), `round ${i}`)
        }
      }))

    it.effect("a reentrant lock is taken again by its holder and freed by the last release", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make({ reentrant: true })
        assert.isTrue(lock.reentrant)
        const inner = yield* SharedLock.isLocked(lock).pipe(SharedLock.withLock(lock), SharedLock.withLock(lock))
        assert.isTrue(inner)
        assert.isFalse(yield* SharedLock.isLocked(lock))
        yield* SharedLock.acquire(lock)
        assert.isTrue(yield* SharedLock.tryAcquire(lock))
        yield* SharedLock.release(lock)
        assert.isTrue(yield* SharedLock.isLocked(lock))
        // another fiber (even a child) does not hold it
        const child = yield* Effect.fork(SharedLock.tryAcquire(lock))
        assert.isFalse(yield* Fiber.join(child))
        yield* SharedLock.release(lock)
        assert.isFalse(yield* SharedLock.isLocked(lock))
        const notHeld = yield* Effect.exit(SharedLock.release(lock))
        assert.isTrue(Exit.isFailure(notHeld))
      }))

    it.effect("the Schema rebuilds a handle over the same memory", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make({ reentrant: true })
        const encoded = Schema.encodeSync(SharedLock.schema)(lock)
        assert.strictEqual(encoded.buffer, lock.buffer)
        const decoded = Schema.decodeSync(SharedLock.schema)(structuredClone(encoded))
        assert.isTrue(SharedLock.isSharedLock(decoded))
        assert.isTrue(decoded.reentrant)
        yield* SharedLock.acquire(decoded)
        assert.isTrue(yield* SharedLock.isLocked(lock))
        const bad = Schema.decodeUnknownEither(SharedLock.schema)({ buffer: new SharedArrayBuffer(3) })
        assert.isTrue(bad._tag === "Left")
      }))
  })

  describe("across worker threads", () => {
    it.live("4 workers increment a SharedValue 10,000 times each under the lock: exactly 40,000", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        const counter = yield* SharedValue.make("int32")
        yield* Parallel.map([0, 1, 2, 3], () => new LockedIncrement({ lock, counter, times: 10_000 }))
        assert.strictEqual(yield* SharedValue.get(counter), 40_000)
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }).pipe(Effect.provide(threads(4))))

    it.live("the same with an atomic add and no lock", () =>
      Effect.gen(function*() {
        const counter = yield* SharedValue.make("int32")
        yield* Parallel.map([0, 1, 2, 3], () => new AtomicIncrement({ counter, times: 10_000 }))
        assert.strictEqual(yield* SharedValue.get(counter), 40_000)
      }).pipe(Effect.provide(threads(4))))

    it.live("an acquire with a timeout fails with LockTimeout while another thread holds the lock", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        // held by the main program: the worker's timed acquire fails, typed across the boundary
        yield* SharedLock.acquire(lock)
        const remote = yield* Effect.flip(Parallel.run(new AcquireWithin({ lock, millis: 50 })))
        assert.instanceOf(remote, SharedLock.LockTimeout)
        assert.strictEqual(remote.millis, 50)
        yield* SharedLock.release(lock)
        // held by a worker: the main program's timed acquire fails
        const held = yield* SharedEvent.make()
        const release = yield* SharedEvent.make()
        const holder = yield* Parallel.submit(new HoldLock({ lock, held, release }))
        yield* SharedEvent.wait(held)
        const local = yield* Effect.flip(SharedLock.acquire(lock, { timeout: "50 millis" }))
        assert.instanceOf(local, SharedLock.LockTimeout)
        yield* SharedEvent.set(release)
        yield* holder.await
        yield* Parallel.run(new AcquireWithin({ lock, millis: 1000 }))
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }).pipe(Effect.provide(threads(2))))

    it.live("the main thread's event loop keeps running while it waits on a lock held by a worker", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        const held = yield* SharedEvent.make()
        const release = yield* SharedEvent.make()
        const holder = yield* Parallel.submit(new HoldLock({ lock, held, release }))
        yield* SharedEvent.wait(held)
        const waiter = yield* Effect.fork(SharedLock.withLock(Effect.succeed("acquired"), lock))
        yield* suspended(waiter)
        // a plain timer and an I/O callback both run while the fiber waits for the lock
        const fired = yield* Effect.promise(() => new Promise<string>((resolve) => setTimeout(() => resolve("timer"), 20)))
        assert.strictEqual(fired, "timer")
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
        assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
        yield* SharedEvent.set(release)
        assert.strictEqual(yield* Fiber.join(waiter), "acquired")
        yield* holder.await
      }).pipe(Effect.provide(threads(1))))

    it.live("a task interrupted while it waits for the lock never takes it; the next waiter does", () =>
      Effect.gen(function*() {
        const lock = yield* SharedLock.make()
        const entered = yield* SharedValue.make("int32")
        yield* SharedLock.acquire(lock)
        const first = yield* Parallel.submit(new WaitForLock({ lock, entered }))
        yield* waitFor("the first task to wait", () => SharedValue.get(entered).pipe(Effect.runSync) === 1)
        const second = yield* Parallel.submit(new WaitForLock({ lock, entered }))
        yield* waitFor("the second task to wait", () => SharedValue.get(entered).pipe(Effect.runSync) === 2)
        yield* first.interrupt
        yield* SharedLock.release(lock)
        yield* second.await
        assert.isFalse(yield* SharedLock.isLocked(lock))
      }).pipe(Effect.provide(threads(2))))
  })
})
