import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Errors, NodeWorkerPool } from "../src/index.js"
import { fixture } from "./helpers.js"

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
      const processes = yield* Effect.flip(
        Layer.build(NodeWorkerPool.layerProcesses({ module, resourceLimits: { maxOldGenerationSizeMb: 64 } })).pipe(
          Effect.scoped
        )
      )
      assert.instanceOf(processes, Errors.InvalidOptions)
    }))

  it("cpuCount is the number of cores available", () => {
    assert.isAtLeast(NodeWorkerPool.cpuCount, 1)
  })
})
