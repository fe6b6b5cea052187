import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Metric, Option, Schedule, Stream, TestClock } from "effect"
import { Errors, Metrics, Parallel, TestWorkerPool, WorkerPool } from "../src/index.js"
import { seeded } from "../src/internal/random.js"
import { Counter, Fail, Oops, Sleep, Square, WhoAmI } from "./fixtures/tasks.js"
import runner from "./fixtures/worker.js"

const completionOrder = (seed: number) =>
  Parallel.streamUnordered(Array.from({ length: 16 }, (_, i) => i), (x) => new Square({ x }), { chunkSize: 1 }).pipe(
    Stream.map((result) => result.index),
    Stream.runCollect,
    Effect.map(Chunk.toArray),
    Effect.provide(TestWorkerPool.layer(runner, { size: 4, seed }))
  )

describe("TestWorkerPool", () => {
  it("the seeded generator repeats its sequence", () => {
    const a = seeded(42)
    const b = seeded(42)
    const c = seeded(43)
    const xs = [a(), a(), a()]
    assert.deepStrictEqual(xs, [b(), b(), b()])
    assert.notDeepEqual(xs, [c(), c(), c()])
    for (const x of xs) assert.isTrue(x >= 0 && x < 1)
  })

  it.effect("one seed repeats its completion order; different seeds explore different orders", () =>
    Effect.gen(function*() {
      const first = yield* completionOrder(7)
      const again = yield* completionOrder(7)
      assert.deepStrictEqual(again, first)
      assert.deepStrictEqual([...first].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i))
      const orders = new Set<string>()
      for (let seed = 0; seed < 8; seed++) orders.add((yield* completionOrder(seed)).join(","))
      assert.isAbove(orders.size, 1)
    }))

  it.effect("latency and timeouts run on the TestClock, counted from each task's start", () =>
    Effect.gen(function*() {
      const pool = yield* WorkerPool.WorkerPool
      const fiber = yield* Effect.fork(
        Effect.all([
          pool.run(new Square({ x: 2 })),
          pool.run(new Square({ x: 3 }), { timeout: "1500 millis" }),
          pool.run(new Square({ x: 4 }), { timeout: "500 millis" })
        ], { concurrency: "unbounded", mode: "either" })
      )
      yield* TestClock.adjust("1 second")
      const stats = yield* Effect.flatMap(TestWorkerPool.TestWorkerPool, (t) => t.stats)
      assert.strictEqual(stats.completed, 1)
      yield* TestClock.adjust("2 seconds")
      const [a, b, c] = yield* Fiber.join(fiber)
      assert.isTrue(a._tag === "Right" && a.right === 4)
      // queued for 1 s behind the first task, then 1 s of work: within 1.5 s of its start
      assert.isTrue(b._tag === "Right" && b.right === 9)
      assert.isTrue(c._tag === "Left" && c.left instanceof Errors.TaskTimeout)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1, latency: "1 second" }))))

  it.effect("a crash injected on the nth task fails it typed; the worker is replaced and its Layer rebuilt", () =>
    Effect.gen(function*() {
      const before = yield* Parallel.run(new WhoAmI()) // task 1
      const crashed = yield* Effect.flip(Parallel.run(new Square({ x: 2 }))) // task 2
      assert.instanceOf(crashed, Errors.WorkerCrashed)
      assert.strictEqual(crashed.task, "Square")
      const squares = yield* Parallel.map([1, 2, 3], (x) => new Square({ x }), { chunkSize: 1 })
      assert.deepStrictEqual(squares, [1, 4, 9])
      const after = yield* Parallel.run(new WhoAmI())
      assert.notStrictEqual(after.bootId, before.bootId)
      const inspector = yield* TestWorkerPool.TestWorkerPool
      const stats = yield* inspector.stats
      assert.strictEqual(stats.spawns, 2)
      assert.strictEqual(stats.replacements, 1)
      const assignments = yield* inspector.assignments
      assert.deepStrictEqual(assignments.map((a) => a.task), ["WhoAmI", "Square", "Square", "Square", "Square", "WhoAmI"])
      assert.notStrictEqual(assignments[0]!.worker, assignments[5]!.worker)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1, faults: { crashOn: [2] } }))))

  it.effect("tasks queued behind a crash go to the replacement, never to the crashed worker", () =>
    Effect.gen(function*() {
      const results = yield* Effect.all(
        [1, 2, 3, 4].map((x) => Effect.either(Parallel.run(new Square({ x })))),
        { concurrency: "unbounded" }
      )
      assert.isTrue(results[1]!._tag === "Left" && results[1]!.left instanceof Errors.WorkerCrashed)
      assert.deepStrictEqual([results[0], results[2], results[3]].map((r) => r!._tag === "Right" ? r!.right : -1), [1, 9, 16])
      const inspector = yield* TestWorkerPool.TestWorkerPool
      const assignments = yield* inspector.assignments
      const crashedOn = assignments[1]!.worker
      assert.isFalse(assignments.slice(2).some((a) => a.worker === crashedOn))
      assert.strictEqual((yield* inspector.stats).peakConcurrency, 1)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1, faults: { crashOn: [2] } }))))

  it.effect("an isolated task takes a worker of its own, even while every pooled one is busy; a close stops it", () =>
    Effect.gen(function*() {
      // the only pooled worker runs a channel that waits for a value an isolated task computes
      const value = yield* Effect.scoped(Effect.gen(function*() {
        const channel = yield* Counter.open({ start: 0, burst: 1 })
        const isolated = yield* Parallel.run(new Square({ x: 5 }), { isolate: true })
        yield* channel.send("next")
        return [isolated, Option.getOrNull(yield* channel.take)] as const
      }))
      assert.deepStrictEqual(value, [25, 0])
      // an isolated task still running when its pool closes ends with PoolClosed
      const job = yield* Effect.scoped(Effect.gen(function*() {
        const pool = yield* WorkerPool.WorkerPool
        const inspector = yield* TestWorkerPool.TestWorkerPool
        const submitted = yield* pool.submit(new Sleep({ millis: 60_000, value: 1 }), { isolate: true })
        // it has started on its own worker
        for (let i = 0; i < 100 && (yield* inspector.stats).inFlight === 0; i++) yield* Effect.yieldNow()
        assert.strictEqual((yield* inspector.stats).inFlight, 1)
        return submitted
      }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1 }))))
      assert.instanceOf(yield* Effect.flip(job.await), Errors.PoolClosed)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1 }))))

  it.effect("a retry Schedule re-runs a task whose worker crashed, and only that", () =>
    Effect.gen(function*() {
      const inspector = yield* TestWorkerPool.TestWorkerPool
      // task starts 1 and 3 crash: the first run is retried once, the map's first chunk once
      assert.strictEqual(yield* Parallel.run(new Square({ x: 4 }), { retry: Schedule.recurs(1) }), 16)
      const squares = yield* Parallel.map([1, 2, 3], (x) => new Square({ x }), { chunkSize: 3, retry: Schedule.recurs(1) })
      assert.deepStrictEqual(squares, [1, 4, 9])
      // task start 5 crashes: without a retry, the caller gets the crash
      assert.instanceOf(yield* Effect.flip(Parallel.run(new Square({ x: 5 }))), Errors.WorkerCrashed)
      // the task's own failure is not retried: one start
      const before = (yield* inspector.assignments).length
      assert.instanceOf(yield* Effect.flip(Parallel.run(new Fail({ message: "no" }), { retry: Schedule.recurs(3) })), Oops)
      assert.strictEqual((yield* inspector.assignments).length, before + 1)
      // a Schedule that runs out gives the last crash (starts 7, 8 and 9 crash)
      const exhausted = yield* Effect.flip(Parallel.run(new Square({ x: 6 }), { retry: Schedule.recurs(2) }))
      assert.instanceOf(exhausted, Errors.WorkerCrashed)
      // submit retries too (start 10 crashes)
      const job = yield* Parallel.submit(new Square({ x: 7 }), { retry: Schedule.recurs(1) })
      assert.strictEqual(yield* job, 49)
      assert.deepStrictEqual((yield* inspector.assignments).map((a) => a.task).slice(-2), ["Square", "Square"])
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1, faults: { crashOn: [1, 3, 5, 7, 8, 9, 10] } }))))

  it.effect("a slow task injected times out; failed spawns recover below spawnAttempts and fail at it", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Effect.either(Parallel.run(new Sleep({ millis: 0, value: 1 }), { timeout: "1 second" }))
      )
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Left" && result.left instanceof Errors.TaskTimeout)
      const recovered = yield* Parallel.run(new Square({ x: 3 })).pipe(
        Effect.provide(TestWorkerPool.layer(runner, { size: 1, spawnAttempts: 3, faults: { failSpawns: 2 } }))
      )
      assert.strictEqual(recovered, 9)
      const failed = yield* Effect.flip(
        Parallel.run(new Square({ x: 3 })).pipe(
          Effect.provide(TestWorkerPool.layer(runner, { size: 1, spawnAttempts: 3, faults: { failSpawns: 3 } }))
        )
      )
      assert.instanceOf(failed, Errors.SpawnError)
      assert.include(failed.message, "injected spawn failure")
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 1, faults: { slow: [{ task: 1, by: "5 seconds" }] } }))))

  it.effect("inspection: peak concurrency is bounded by size times concurrency", () =>
    Effect.gen(function*() {
      yield* Parallel.map(Array.from({ length: 50 }, (_, i) => i), (x) => new Square({ x }), { chunkSize: 1 })
      const stats = yield* Effect.flatMap(TestWorkerPool.TestWorkerPool, (t) => t.stats)
      assert.strictEqual(stats.started, 50)
      assert.strictEqual(stats.completed, 50)
      assert.strictEqual(stats.inFlight, 0)
      assert.isAtMost(stats.peakConcurrency, 6)
      assert.isAtLeast(stats.peakConcurrency, 2)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 3, concurrency: 2 }))))

  it.effect("a channel task that outruns its reader waits: at most a window of outputs is in flight", () =>
    Effect.gen(function*() {
      const channel = yield* Counter.open({ start: 0, burst: 500 })
      yield* channel.send("burst")
      yield* Effect.repeatN(Effect.yieldNow(), 2000)
      const sent = () => (globalThis as { counterSent?: number }).counterSent ?? 0
      assert.isAtLeast(sent(), 1)
      assert.isAtMost(sent(), 16)
      const values: Array<number> = []
      while (values.length < 500) {
        const next = yield* channel.take
        if (next._tag === "Some") values.push(next.value)
      }
      assert.strictEqual(sent(), 500)
      assert.deepStrictEqual(values, Array.from({ length: 500 }, (_, i) => i))
    }).pipe(Effect.scoped, Effect.provide(TestWorkerPool.layer(runner, { size: 1 }))))

  it.effect("a main side that outruns its channel task waits in send", () =>
    Effect.gen(function*() {
      const channel = yield* Counter.open({ start: 0, burst: 1000 })
      // the task sends a burst nobody reads, so it stops taking input
      yield* channel.send("burst")
      let sent = 0
      const sender = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 100 }), () => Effect.tap(channel.send("next"), () => sent++))
      )
      yield* Effect.repeatN(Effect.yieldNow(), 2000)
      assert.isTrue(Option.isNone(yield* Fiber.poll(sender)))
      assert.isAtMost(sent, 16)
      yield* Fiber.interrupt(sender)
    }).pipe(Effect.scoped, Effect.provide(TestWorkerPool.layer(runner, { size: 1 }))))

  it.effect("typed failures arrive typed in-process too", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Parallel.run(new Fail({ message: "nope" })))
      assert.instanceOf(error, Oops)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner))))

  it.effect("explore finds an order-dependent bug and names a seed that replays it", () =>
    Effect.gen(function*() {
      // the bug: a pipeline that assumes results arrive in input order
      const joined = Parallel.streamUnordered([1, 2, 3, 4], (x) => new Square({ x }), { chunkSize: 1 }).pipe(
        Stream.runFold("", (acc, result) => acc + result.value + ","),
        Effect.filterOrFail((s) => s === "1,4,9,16,", (s) => `got ${s}`)
      )
      const failure = yield* Effect.flip(
        TestWorkerPool.explore(20, (seed) => joined.pipe(Effect.provide(TestWorkerPool.layer(runner, { seed }))))
      )
      assert.instanceOf(failure, TestWorkerPool.ExploreFailure)
      assert.include(failure.message, `seed ${failure.seed}`)
      const replay = yield* Effect.either(joined.pipe(Effect.provide(TestWorkerPool.layer(runner, { seed: failure.seed }))))
      assert.isTrue(replay._tag === "Left")
    }))
})

describe("Metrics", () => {
  const tagged = <A extends Metric.Metric<any, any, any>>(metric: A) => metric.pipe(Metric.tagged("pool", "TestWorkerPool")) as A

  it.effect("pools count started, completed and failed tasks, and time them", () =>
    Effect.gen(function*() {
      const started = yield* Metric.value(tagged(Metrics.tasksStarted))
      const completed = yield* Metric.value(tagged(Metrics.tasksCompleted))
      const crashed = yield* Metric.value(Metrics.tasksFailed.pipe(
        Metric.tagged("pool", "TestWorkerPool"),
        Metric.tagged("reason", "WorkerCrashed")
      ))
      yield* Parallel.map([1, 2, 3, 4, 5], (x) => new Square({ x }), { chunkSize: 1 })
      yield* Effect.flip(Parallel.run(new Square({ x: 6 })))
      assert.strictEqual((yield* Metric.value(tagged(Metrics.tasksStarted))).count - started.count, 6)
      assert.strictEqual((yield* Metric.value(tagged(Metrics.tasksCompleted))).count - completed.count, 5)
      const crashedAfter = yield* Metric.value(Metrics.tasksFailed.pipe(
        Metric.tagged("pool", "TestWorkerPool"),
        Metric.tagged("reason", "WorkerCrashed")
      ))
      assert.strictEqual(crashedAfter.count - crashed.count, 1)
      assert.isAtLeast((yield* Metric.value(tagged(Metrics.taskDuration))).count, 5)
      assert.strictEqual((yield* Metric.value(tagged(Metrics.queueDepth))).value, 0)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner, { size: 2, faults: { crashOn: [6] } }))))
})
