import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { execFile } from "node:child_process"
import { availableParallelism } from "node:os"
import { promisify } from "node:util"
import { PipeFunc, QueueFunc } from "../examples/mp-misc-tasks.js"
import { Errors, Pipe, Process, SharedQueue } from "../src/index.js"

const module = new URL("../examples/mp-misc-worker.ts", import.meta.url)

describe("examples (queue and pipe)", () => {
  it("mp-misc.ts: each lock holder's lines come out together; the queue and pipe messages are printed", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/mp-misc.ts"], {
      timeout: 60_000
    })
    const lines = stdout.split("\n")
    assert.include(lines, " message in Queue : LPM rockz!!!")
    assert.include(lines, " message in Pipe : FOSS rulz!!!")
    assert.isBelow(lines.indexOf(" message in Queue : LPM rockz!!!"), lines.indexOf(" message in Pipe : FOSS rulz!!!"))

    // the lock lines, as runs of the same holder: one run per holder, counting 0, 1, 2, ...
    const runs: Array<{ holder: string; steps: Array<number> }> = []
    for (const line of lines) {
      const match = /^ (\d+) lock acquired by thread : (\d+)$/.exec(line)
      if (match === null) continue
      const last = runs[runs.length - 1]
      if (last !== undefined && last.holder === match[2]) last.steps.push(Number(match[1]))
      else runs.push({ holder: match[2]!, steps: [Number(match[1])] })
    }
    const holders = 2 * availableParallelism() - 1
    assert.strictEqual(runs.length, holders, "each holder's lines are contiguous")
    assert.strictEqual(new Set(runs.map((run) => run.holder)).size, holders)
    for (const { steps } of runs) assert.deepStrictEqual(steps, steps.map((_, i) => i))
    assert.sameMembers(runs.map((run) => run.steps.length), Array.from({ length: holders }, (_, i) => 4 * (i + 1)))
  })

  it.live("the same tasks in a child process: the caller gets an EncodeError, nothing is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const queue = yield* SharedQueue.make(Schema.String, { capacity: 1 })
      const p = yield* Process.spawn(new QueueFunc({ queue }), { module, kind: "process", spawnTimeout: "2 minutes" })
      const error = yield* Effect.flip(p.join)
      assert.instanceOf(error, Errors.EncodeError)
      assert.include(error.reason, "child processes cannot share memory")
      assert.strictEqual(yield* SharedQueue.size(queue), 0)
      const [, oc] = yield* Pipe.make(Schema.String)
      const q = yield* Process.spawn(new PipeFunc({ connection: oc }), { module, kind: "process", spawnTimeout: "2 minutes" })
      assert.instanceOf(yield* Effect.flip(q.join), Errors.EncodeError)
      assert.isFalse(yield* Pipe.isClosed(oc))
    })))
})
