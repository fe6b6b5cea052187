import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { isDone, makeExecutor } from "../src/internal/executor.js"
import * as Wire from "../src/internal/wire.js"
import { TaskRunner } from "../src/index.js"
import { Square } from "./fixtures/tasks.js"

// How a worker starts a task's handler: an Exit or a bare Effect.sync leaves at once, anything else runs in a fiber.
// The pools' suites check what callers get from each kind of handler; this checks that no fiber is made where none
// is needed, which they cannot see (and which a change in how Effect represents Effect.sync would silently undo).

const runWith = (handler: (task: Square) => Effect.Effect<number>, inlineSync = true) => {
  const executor = makeExecutor(TaskRunner.make([Square], { Square: handler }) as never, "test", inlineSync)
  const payload = Either.getOrThrow(Wire.encodeTask(new Square({ x: 3 })))
  return executor.run(false, payload, undefined)
}

describe("a worker's handlers", () => {
  it("answer at once with an Exit or a bare Effect.sync, whose throw is the task's defect", () => {
    assert.deepStrictEqual(runWith(({ x }) => Effect.succeed(x * x)), [Wire.EXIT_SUCCESS, 9])
    assert.deepStrictEqual(runWith(({ x }) => Effect.sync(() => x * x)), [Wire.EXIT_SUCCESS, 9])
    const died = runWith(() =>
      Effect.sync(() => {
        throw new Error("boom")
      })
    )
    assert.isTrue(isDone(died))
    assert.strictEqual((died as ReadonlyArray<unknown>)[0], Wire.EXIT_DIE)
    assert.include(JSON.stringify((died as ReadonlyArray<unknown>)[1]), "boom")
  })

  it("run any other Effect in a fiber, and a bare Effect.sync too where a tracer of its own is installed", () => {
    const started = runWith(({ x }) => Effect.map(Effect.sync(() => x), (y) => y * y))
    assert.isFalse(isDone(started))
    assert.deepStrictEqual(Effect.runSync(started as Effect.Effect<unknown>), [Wire.EXIT_SUCCESS, 9])
    // (the runner turns inlineSync off when the worker's Layer installs a tracer: NodeWorkerPool.test.ts)
    const traced = runWith(({ x }) => Effect.sync(() => x * x), false)
    assert.isFalse(isDone(traced))
    assert.deepStrictEqual(Effect.runSync(traced as Effect.Effect<unknown>), [Wire.EXIT_SUCCESS, 9])
  })
})
