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

  it("pp-parallel.ts prints one hello per core, in order", async () => {
    const lines = (await run("pp-parallel.ts")).trimEnd().split("\n")
    assert.isAbove(lines.length, 0)
    lines.forEach((line, i) => assert.strictEqual(line, ` hello FLOSS from core : ${i}`))
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
    assert.include(out, " job count | % of all jobs | job time sum | time per job | job server")
    assert.match(out, new RegExp(`\\s+${workers![1]} \\|\\s+100\\.00 \\|`))
  })

  it("pprocess-pmap.ts: map and pmap give the same results and the speedup is printed", async () => {
    const out = await run("pprocess-pmap.ts", { PMAP_N: "4", PMAP_DELAY: "20" })
    assert.match(out, /map: {2}16 results in \d+ ms/)
    assert.match(out, /pmap: 16 results in \d+ ms \(limit 10\)/)
    assert.include(out, "same results: true")
    assert.match(out, /speedup: \d+\.\dx/)
  })

  it("pprocess-exchange.ts: results arrive in completion order, not submission order", async () => {
    const out = await run("pprocess-exchange.ts")
    const submitted = /submitted: (.*)/.exec(out)![1]!.split(", ")
    const completed = /completed: (.*)/.exec(out)![1]!.split(", ")
    assert.sameMembers(completed, submitted)
    assert.notDeepEqual(completed, submitted)
    assert.isBelow(completed.indexOf("post"), completed.indexOf("laundry"))
    assert.include(out, "active: 5")
  })

  it("transfer.ts: blocks move to the workers and back (Task.transferable), smoothed as serially", async () => {
    const out = await run("transfer.ts")
    assert.include(out, "blocks sent: 0, 0, 0, 0 bytes left here")
    assert.include(out, "blocks back: 8000000, 8000000, 8000000, 8000000 bytes")
    assert.include(out, "same as serial: true")
  })

  it("pprocess-channel.ts: a continuous channel streams values while the main side sends commands", async () => {
    const out = await run("pprocess-channel.ts")
    assert.include(out, "asked for 3: 1000003, 1000033, 1000037")
    assert.include(out, "asked for 5: 1000039, 1000081, 1000099, 1000117, 1000121")
    assert.include(out, "the task sent 1008 primes in all")
  })

  it("mp-basic.ts: three processes each print their welcome and exit with 0", async () => {
    const out = await run("mp-basic.ts")
    for (const name of ["Rich", "Nus", "Geeks"]) assert.include(out, ` welcome ${name} to multiprocessing!`)
    assert.strictEqual(out.match(/process \d+ exited with 0/g)?.length, 3)
  })

  it("mp-counting.ts: three processes count, their lines interleaved on one stdout", async () => {
    const lines = (await run("mp-counting.ts", { COUNT_PAUSE_SCALE: "4" })).trim().split("\n")
    const of = (label: string) => lines.filter((line) => line.endsWith(` ${label}`))
    assert.strictEqual(of("Rich").length, 20)
    assert.strictEqual(of("Nus").length, 25)
    assert.strictEqual(of("Geeks").length, 30)
    assert.deepStrictEqual(of("Geeks").map((line) => Number(line.trim().split(" ")[0])), Array.from({ length: 30 }, (_, i) => i))
    // interleaved: Geeks starts before Rich is done
    assert.isBelow(lines.indexOf(" 0  Geeks"), lines.indexOf(" 19  Rich"))
  })

  it("mp-waste.ts: 20 workers print while burning CPU, then stop by themselves", async () => {
    const out = await run("mp-waste.ts", { WASTE_ROUNDS: "1" })
    for (let id = 0; id < 20; id++) assert.include(out, `${id} Total waste of CPU cycles!`)
    assert.include(out, "20 workers wasted 1 rounds each")
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
