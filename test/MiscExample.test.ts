import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { availableParallelism } from "node:os"
import { promisify } from "node:util"

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
})
