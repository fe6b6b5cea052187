import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, RuntimeFlags } from "effect"
import { join } from "node:path"
import * as IdleSpin from "../src/internal/idleSpin.js"
import { Errors, NodeWorkerPool, WorkerPool } from "../src/index.js"
import { Die, InTracerContext, LoopTurns, MetricsFlag, Park, Square } from "./fixtures/tasks.js"
import { fileSays, fixture, tempDir, threadCount, waitFor } from "./helpers.js"

describe("NodeWorkerPool options", () => {
  const rejects = (options: NodeWorkerPool.NodeWorkerPool.Options, reason: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(NodeWorkerPool.layerThreads(options)).pipe(Effect.scoped))
      assert.instanceOf(error, Errors.InvalidOptions)
      assert.include(error.message, reason)
    })

  it.live("wrong options fail with InvalidOptions before any worker starts", () =>
    Effect.gen(function*() {
      const module = fixture("worker.ts")
      yield* rejects({ module, size: 0 }, "size")
      yield* rejects({ module, concurrency: 1.5 }, "concurrency")
      yield* rejects({ module, interruptGrace: "soon" as never }, "interruptGrace")
      yield* rejects({ module: 42 as never }, "module must be a path or a URL")
      yield* rejects({ module, idleSpin: Infinity }, "idleSpin")
      const processes = yield* Effect.flip(
        Layer.build(NodeWorkerPool.layerProcesses({ module, resourceLimits: { maxOldGenerationSizeMb: 64 } })).pipe(
          Effect.scoped
        )
      )
      assert.instanceOf(processes, Errors.InvalidOptions)
      const spinning = yield* Effect.flip(
        Layer.build(NodeWorkerPool.layerProcesses({ module, idleSpin: "1 millis" })).pipe(Effect.scoped)
      )
      assert.instanceOf(spinning, Errors.InvalidOptions)
      assert.include(spinning.message, "idleSpin applies to worker threads only")
      // 0, the value that turns polling off, is fine for child processes too (options shared by both layers)
      assert.strictEqual(
        yield* WorkerPool.WorkerPool.pipe(
          Effect.flatMap((pool) => pool.run(new Square({ x: 4 }))),
          Effect.provide(NodeWorkerPool.layerProcesses({ module, size: 1, idleSpin: 0 }))
        ),
        16
      )
    }))

  it.live("idleSpin: workers that poll for their next task serve sequential callers, interruptions, and close", () =>
    Effect.gen(function*() {
      const threadsBefore = threadCount()
      yield* Effect.gen(function*() {
        const pool = yield* WorkerPool.WorkerPool
        // one task at a time: after each reply the worker polls for the next one instead of sleeping
        for (let x = 0; x < 300; x++) assert.strictEqual(yield* pool.run(new Square({ x })), x * x)
        // a worker that polls still gets back to its event loop (its timers, I/O and stdout go on): it starts polls
        // for 1 ms in a row at most. (Node itself may hand a worker up to 1,000 messages in one callback, when each
        // comes before it looks for the next, so only that bound is certain: a poll that never gave back, with
        // this window, would keep the count at 0.)
        let turns = 0
        for (let i = 0; i < 1_100; i++) turns = yield* pool.run(new LoopTurns({ busyMs: 0 }))
        assert.isAtLeast(turns, 1)
        // a task interrupted while it runs (the interruption comes through the event loop; then the worker polls)
        const marker = join(tempDir(), "park")
        const parked = yield* pool.submit(new Park({ marker }))
        yield* waitFor("the task to start", () => fileSays(marker) === "started")
        yield* parked.interrupt
        assert.strictEqual(fileSays(marker), "interrupted")
        assert.strictEqual(yield* pool.run(new Square({ x: 3 })), 9)
        // then the pool closes while its worker polls: the close message is taken by the poll too (with a
        // 30 s interruptGrace, a close that the worker missed would outlast the test)
      }).pipe(
        Effect.provide(
          NodeWorkerPool.layerThreads({
            module: fixture("worker.ts"),
            size: 1,
            idleSpin: "20 seconds",
            interruptGrace: "30 seconds"
          })
        )
      )
      yield* waitFor("the worker thread to end", () => threadCount() <= threadsBefore)
    }), 20_000)

  it.live("worker threads that may poll take flags from one budget for the process, and give them back when they end", () =>
    Effect.gen(function*() {
      const module = fixture("worker.ts")
      const poolOf = (layer: Layer.Layer<WorkerPool.WorkerPool, unknown>) =>
        Effect.map(Layer.build(layer), (context) => Context.get(context, WorkerPool.WorkerPool))
      const before = IdleSpin.freeSlotCount()
      yield* Effect.gen(function*() {
        // two pools of threads count against the same budget of cores
        const a = yield* poolOf(NodeWorkerPool.layerThreads({ module, size: 2 }))
        yield* poolOf(NodeWorkerPool.layerThreads({ module, size: 2 }))
        assert.strictEqual(IdleSpin.freeSlotCount(), before - 4)
        // child processes and threads that never poll take none
        yield* poolOf(NodeWorkerPool.layerProcesses({ module, size: 1 }))
        yield* poolOf(NodeWorkerPool.layerThreads({ module, size: 1, idleSpin: 0 }))
        assert.strictEqual(IdleSpin.freeSlotCount(), before - 4)
        // a worker that dies gives its flag back, and its replacement takes one
        const died = yield* Effect.flip(a.run(new Die({ how: "exit", code: 3 })))
        assert.instanceOf(died, Errors.WorkerCrashed)
        yield* waitFor("the replacement", () => IdleSpin.freeSlotCount() === before - 4)
        assert.strictEqual(yield* a.run(new Square({ x: 3 })), 9)
      }).pipe(Effect.scoped)
      // closed pools have given every flag back
      assert.strictEqual(IdleSpin.freeSlotCount(), before)
    }))

  it.live("task fibers run without Effect's runtime metrics, on threads and child processes", () =>
    Effect.gen(function*() {
      // on by default for the caller's fibers
      assert.isTrue(RuntimeFlags.runtimeMetrics(yield* Effect.getRuntimeFlags))
      for (const layer of [NodeWorkerPool.layerThreads, NodeWorkerPool.layerProcesses]) {
        const flag = yield* WorkerPool.WorkerPool.pipe(
          Effect.flatMap((pool) => pool.run(new MetricsFlag())),
          Effect.provide(layer({ module: fixture("worker.ts"), size: 1 }))
        )
        assert.isFalse(flag)
      }
    }))

  it.live("a handler's bare Effect.sync still runs in a fiber where the worker's Layer installs a tracer", () =>
    Effect.gen(function*() {
      // the tracer's context is around the thunk, as it is around every step of a fiber (with Effect's own tracer
      // the worker calls the thunk without one: test/executor.test.ts)
      for (const layer of [NodeWorkerPool.layerThreads, NodeWorkerPool.layerProcesses]) {
        const [inContext, square] = yield* WorkerPool.WorkerPool.pipe(
          Effect.flatMap((pool) => Effect.all([pool.run(new InTracerContext()), pool.run(new Square({ x: 4 }))])),
          Effect.provide(layer({ module: fixture("traced-worker.ts"), size: 1 }))
        )
        assert.isTrue(inContext)
        assert.strictEqual(square, 16)
      }
    }))

  it("cpuCount is the number of cores available", () => {
    assert.isAtLeast(NodeWorkerPool.cpuCount, 1)
  })
})
