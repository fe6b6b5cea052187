import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Parallel, TestWorkerPool, WorkerPool } from "../src/index.js"
import { Square } from "./fixtures/tasks.js"
import runner from "./fixtures/worker.js"

describe("Parallel", () => {
  it.effect("map reports its progress as chunks come back", () =>
    Effect.gen(function*() {
      const seen: Array<WorkerPool.Progress> = []
      const squares = yield* Parallel.map(Array.from({ length: 100 }, (_, i) => i), (x) => new Square({ x }), {
        chunkSize: 10,
        onProgress: (progress) => seen.push(progress)
      })
      assert.strictEqual(squares.length, 100)
      assert.strictEqual(seen.length, 10)
      assert.deepStrictEqual(seen.at(-1), { done: 100, total: 100 })
      for (let i = 1; i < seen.length; i++) assert.isAbove(seen[i]!.done, seen[i - 1]!.done)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner))))

  it("progressBar draws in place on a terminal and a line per tenth elsewhere", () => {
    const tty: Array<string> = []
    const bar = Parallel.progressBar("items", { isTTY: true, write: (s) => tty.push(s) })
    bar({ done: 5, total: 10 })
    bar({ done: 10, total: 10 })
    assert.strictEqual(tty[0], `\r[${"#".repeat(15)}${"-".repeat(15)}]  50% 5/10 items`)
    assert.strictEqual(tty[1], `\r[${"#".repeat(30)}] 100% 10/10 items\n`)
    const log: Array<string> = []
    const plain = Parallel.progressBar("items", { isTTY: false, write: (s) => log.push(s) })
    for (let done = 1; done <= 100; done++) plain({ done, total: 100 })
    assert.strictEqual(log.length, 11)
    assert.include(log.at(-1), "100% 100/100 items")
  })

  it("cpuCount is the number of cores", () => {
    assert.isAtLeast(Parallel.cpuCount, 1)
  })
})
