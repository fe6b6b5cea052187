/**
 * Smoke test of the benchmark harness: `bench/run.ts --quick` runs every
 * (library, scenario) pair once at tiny sizes and writes a report with a row
 * for each. No timing is asserted, only that the harness and every adapter work.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { LIBS } from "../bench/libs.js"
import { TITLES } from "../bench/report.js"
import { type CaseResult, SCENARIOS } from "../bench/types.js"

describe("bench", () => {
  it("--quick writes a report with a row for every library in every scenario", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"))
    const out = path.join(dir, "RESULTS.md")
    try {
      await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--out", out], {
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024
      })
      const report = fs.readFileSync(out, "utf8")
      const sections = report.split(/^### /m).slice(1)
      for (const scenario of SCENARIOS) {
        const section = sections.find((s) => s.startsWith(TITLES[scenario]))
        assert.isDefined(section, `no section for ${scenario}`)
        for (const lib of LIBS) {
          assert.include(section!, `\n| ${lib.label} |`, `no row for ${lib.id} in ${scenario}`)
        }
      }
      const summary = report.split("## Summary")[1]!.split("## Targets")[0]!
      for (const lib of LIBS) assert.include(summary, `\n| ${lib.label} |`)
      assert.include(report, "## Targets")

      // every pair ran: a result or a stated n/a, never an error
      const { results } = JSON.parse(fs.readFileSync(out.replace(/\.md$/, ".json"), "utf8")) as {
        results: Record<string, Record<string, Array<CaseResult>>>
      }
      for (const lib of LIBS) {
        for (const scenario of SCENARIOS) {
          const [result] = results[lib.id]?.[scenario] ?? []
          assert.isDefined(result, `${lib.id} ${scenario} did not run`)
          assert.notStrictEqual(result!.status, "error", `${lib.id} ${scenario}: ${JSON.stringify(result)}`)
        }
      }
      // the variants measured beside a scenario's main figure ran too
      const [cpu] = results["effect-parallel-threads"]!["cpu"]!
      assert.strictEqual(cpu!.status, "ok")
      if (cpu!.status === "ok") assert.isAbove(cpu.metrics["speedupMap"]!, 0)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
