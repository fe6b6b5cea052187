import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { join } from "node:path"
import { Errors, Process } from "../src/index.js"
import { Die, Fail, Oops, Park, Square, WhoAmI } from "./fixtures/tasks.js"
import { fileSays, fixture, isAlive, tempDir, waitFor } from "./helpers.js"

const module = fixture("worker.ts")

describe("Process", () => {
  for (const kind of ["thread", "process"] as const) {
    describe(kind, () => {
      it.live("runs one task in a dedicated worker; join gives the result and the worker exits with 0", () =>
        Effect.gen(function*() {
          const p = yield* Process.spawn(new Square({ x: 7 }), { module, kind })
          if (kind === "process") {
            assert.isNumber(p.pid)
            assert.notStrictEqual(p.pid, process.pid)
            assert.isUndefined(p.threadId)
          } else {
            assert.isNumber(p.threadId)
            assert.strictEqual(p.pid, process.pid)
          }
          assert.strictEqual(yield* p.join, 49)
          assert.deepStrictEqual(Option.getOrNull(yield* p.exitCode), 0)
          assert.isFalse(yield* p.isAlive)
          if (kind === "process") assert.isFalse(isAlive(p.pid!))
        }).pipe(Effect.scoped))

      it.live("join gives the task's failure once the worker has exited, as it gives a result", () =>
        Effect.gen(function*() {
          const p = yield* Process.spawn(new Fail({ message: "no" }), { module, kind })
          assert.instanceOf(yield* Effect.flip(p.join), Oops)
          assert.isFalse(yield* p.isAlive)
          assert.deepStrictEqual(Option.getOrNull(yield* p.exitCode), 0)
        }).pipe(Effect.scoped))

      it.live("each Process is its own worker", () =>
        Effect.gen(function*() {
          const ps = yield* Effect.forEach([1, 2, 3], () => Process.spawn(new WhoAmI(), { module, kind }))
          const who = yield* Effect.forEach(ps, (p) => p.join)
          assert.strictEqual(new Set(who.map((w) => w.bootId)).size, 3)
        }).pipe(Effect.scoped))

      it.live("terminate interrupts the task in its worker; kill ends it at once", () =>
        Effect.gen(function*() {
          const marker = join(tempDir(), "park")
          const parked = yield* Process.spawn(new Park({ marker }), { module, kind })
          yield* waitFor("the task to start", () => fileSays(marker) === "started")
          assert.isTrue(yield* parked.isAlive)
          yield* parked.terminate
          assert.strictEqual(fileSays(marker), "interrupted")
          assert.isFalse(yield* parked.isAlive)

          const marker2 = join(tempDir(), "park")
          const killed = yield* Process.spawn(new Park({ marker: marker2 }), { module, kind })
          yield* waitFor("the task to start", () => fileSays(marker2) === "started")
          yield* killed.kill
          assert.isFalse(yield* killed.isAlive)
          const error = yield* Effect.flip(killed.join)
          assert.instanceOf(error, Errors.WorkerCrashed)
          if (kind === "process") assert.deepStrictEqual(Option.getOrNull(yield* killed.signal), "SIGKILL")
        }).pipe(Effect.scoped))

      it.live("a worker that exits gives its exit code; leaving the scope ends a running worker", () =>
        Effect.gen(function*() {
          const dies = yield* Process.spawn(new Die({ how: "exit", code: 7 }), { module, kind })
          const error = yield* Effect.flip(dies.join)
          assert.instanceOf(error, Errors.WorkerCrashed)
          assert.deepStrictEqual(Option.getOrNull(yield* dies.exitCode), 7)
          const marker = join(tempDir(), "park")
          const left = yield* Effect.scoped(
            Effect.tap(Process.spawn(new Park({ marker }), { module, kind }), () =>
              waitFor("the task to start", () => fileSays(marker) === "started"))
          )
          assert.isFalse(yield* left.isAlive)
          assert.strictEqual(fileSays(marker), "interrupted")
        }).pipe(Effect.scoped))
    })
  }
})
