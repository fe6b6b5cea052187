import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { promisify } from "node:util"

describe("examples (shared memory)", () => {
  it("shared-counter.ts: every task holds the lock alone and the counter is exact", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/shared-counter.ts"], {
      timeout: 60_000
    })
    const counter = /counter: (\d+) \(expected (\d+)\)/.exec(stdout)
    assert.isNotNull(counter)
    assert.strictEqual(counter![1], counter![2])
    assert.include(stdout, "each task held the lock alone: true")
    assert.match(stdout, /steps with the lock acquired by task 1 \(thread \d+\)/)
  })
})
