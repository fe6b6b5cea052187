/**
 * examples/cluster-parcompute.ts against two real runners serving examples/worker.ts.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, expect, it } from "vitest"
import { awaitReady, killAll, startRunner } from "./fixtures/cluster-runners.js"
import { tempDir } from "./helpers.js"

const root = fileURLToPath(new URL("../", import.meta.url))
const dir = tempDir()

afterAll(async () => {
  await killAll()
  fs.rmSync(dir, { recursive: true, force: true })
})

it("cluster-parcompute: the parallel sum equals the serial sum, with one stats row per runner", async () => {
  const storage = `sqlite:${path.join(dir, "example.db")}`
  const secret = "example secret"
  const tasks = path.join(root, "examples/worker.ts")
  const a = await startRunner({ storage, secret, tasks })
  await awaitReady(a)
  const b = await startRunner({ storage, secret, tasks })
  await awaitReady(b)
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "examples/cluster-parcompute.ts", storage, "16"],
    { cwd: root, env: { ...process.env, EFFECT_PARALLEL_SECRET: secret }, timeout: 120_000 }
  )
  const parallel = /parallel computed sum : (\d+)/.exec(stdout)?.[1]
  const serial = /serial computed sum {3}: (\d+)/.exec(stdout)?.[1]
  expect(parallel).toBeDefined()
  expect(parallel).toBe(serial)
  expect(stdout).toContain("16 jobs done")
  expect(stdout).toContain(`${a.node} (2 cores)`)
  expect(stdout).toContain(`${b.node} (2 cores)`)
}, 240_000)
