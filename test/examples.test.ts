import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { promisify } from "node:util"

const run = async (example: string, env: Record<string, string> = {}) => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", `examples/${example}`], {
    env: { ...process.env, ...env },
    timeout: 60_000
  })
  return stdout
}

describe("examples", () => {
  it("pool-map.ts prints Pool(4).map(square, [1, 2, 3, 4])", async () => {
    assert.strictEqual((await run("pool-map.ts")).trim(), "[ 1, 4, 9, 16 ]")
  })

  it("parcompute.ts prints the worker count and a parallel sum equal to the serial sum", async () => {
    const out = await run("parcompute.ts")
    const workers = /workers\s+:\s+(\d+)/.exec(out)
    const parallel = /parallel computed sum : (\d+)/.exec(out)
    const serial = /serial computed sum\s+: (\d+)/.exec(out)
    assert.isNotNull(workers)
    assert.isAbove(Number(workers![1]), 0)
    assert.strictEqual(parallel![1], "1122951832280201719977576891133383729824504832270000")
    assert.strictEqual(parallel![1], serial![1])
  })

  it("demo.ts counts the same primes serially and in parallel and prints the speedup", async () => {
    const out = await run("demo.ts", { DEMO_LIMIT: "200000" })
    const serial = /serial:\s+(\d+) primes/.exec(out)
    const parallel = /parallel:\s+(\d+) primes/.exec(out)
    assert.strictEqual(serial![1], "17984")
    assert.strictEqual(parallel![1], "17984")
    assert.match(out, /speedup:\s+\d+\.\d+x/)
  })
})
