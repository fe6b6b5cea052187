/**
 * Cluster mode end to end: real `effect-parallel serve` runner processes on 127.0.0.1 sharing a SQLite file,
 * and a ClusterJobServer client in this process.
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Cluster from "../src/Cluster.js"
import { JobServer } from "../src/index.js"
import * as ClusterJobServer from "../src/layers/ClusterJobServer.js"
import { prune } from "../src/internal/cluster/prune.js"
import { awaitReady, killAll, type RunnerProcess, startRunner } from "./fixtures/cluster-runners.js"
import { Hold, Work } from "./fixtures/cluster-tasks.js"
import { childPids, fileSays, isAlive, tempDir, waitFor } from "./helpers.js"

const secret = "correct horse battery staple"
const dir = tempDir()
const storage = `sqlite:${path.join(dir, "cluster.db")}`

const client = (
  clientId: string,
  options: { readonly secret?: string; readonly minRunners?: number; readonly shardsPerGroup?: number } = {}
) =>
  ClusterJobServer.layer({
    storage,
    secret: Redacted.make(options.secret ?? secret),
    clientId,
    minRunners: options.minRunners ?? 2,
    shardsPerGroup: options.shardsPerGroup
  })

/** Submits `n` jobs and collects their results, calling `onResult` after each. */
const runJobs = (n: number, millis: number, onResult: (done: number) => void = () => {}) =>
  Effect.gen(function*() {
    const server = yield* JobServer.JobServer
    let done = 0
    const jobs = yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
      server.submit(new Work({ i, millis }), {
        onDone: () => Effect.sync(() => onResult(++done))
      }))
    const results = yield* Effect.forEach(jobs, (job) => job)
    return { results, stats: yield* server.stats }
  })

const expectCorrect = (results: ReadonlyArray<{ readonly i: number; readonly square: bigint }>, n: number) => {
  expect(results.length).toBe(n)
  results.forEach((result, i) => {
    expect(result.i).toBe(i)
    expect(result.square).toBe(BigInt(i) * BigInt(i))
  })
}

const ofClient = (runner: RunnerProcess, clientId: string) => runner.jobs.filter((id) => id.startsWith(`${clientId}-`))

let a: RunnerProcess
let b: RunnerProcess

beforeAll(async () => {
  // a starts its worker threads from a bundle of the tasks module (`serve --bundle`)
  a = await startRunner({ storage, secret, extra: ["--bundle"] })
  await awaitReady(a)
  // b runs its jobs in child processes (`serve --processes`), a on worker threads
  b = await startRunner({ storage, secret, extra: ["--processes"] })
  await awaitReady(b)
}, 180_000)

afterAll(async () => {
  await killAll()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe.sequential("Cluster", () => {
  it("2 runners + a client run 200 jobs spread over both, with per-node stats", async () => {
    const { results, stats } = await runJobs(200, 20).pipe(Effect.provide(client("spread")), Effect.runPromise)
    expectCorrect(results, 200)
    const byNode = new Map(stats.nodes.map((node) => [node.node, node]))
    expect(stats.jobs).toBe(200)
    expect(byNode.get(a.node)!.jobs).toBeGreaterThan(0)
    expect(byNode.get(b.node)!.jobs).toBeGreaterThan(0)
    expect(byNode.get(a.node)!.jobs + byNode.get(b.node)!.jobs).toBe(200)
    expect(byNode.get(a.node)!.cores).toBe(2)
    // each job ran exactly once, on the runner the stats name
    expect(ofClient(a, "spread").length).toBe(byNode.get(a.node)!.jobs)
    expect(ofClient(b, "spread").length).toBe(byNode.get(b.node)!.jobs)
    // a's pool is threads, b's (`--processes`) two child processes
    expect(childPids(a.pid).length).toBe(0)
    expect(childPids(b.pid).length).toBe(2)
  }, 120_000)

  it("a resubmit with the same job ids is answered from storage, not run again", async () => {
    const first = await runJobs(20, 10).pipe(Effect.provide(client("idem")), Effect.runPromise)
    const ran = ofClient(a, "idem").length + ofClient(b, "idem").length
    const again = await runJobs(20, 10).pipe(Effect.provide(client("idem")), Effect.runPromise)
    expectCorrect(again.results, 20)
    expect(again.results).toEqual(first.results)
    expect(ran).toBe(20)
    expect(ofClient(a, "idem").length + ofClient(b, "idem").length).toBe(20)
    // the same client id with other tasks (a later run of the client, say): other jobs, run for their own results
    const other = await Effect.gen(function*() {
      const server = yield* JobServer.JobServer
      const jobs = yield* Effect.forEach([100, 101, 102], (i) => server.submit(new Work({ i, millis: 10 })))
      return yield* Effect.forEach(jobs, (job) => job)
    }).pipe(Effect.provide(client("idem")), Effect.runPromise)
    expect(other.map((result) => result.i)).toEqual([100, 101, 102])
    expect(ofClient(a, "idem").length + ofClient(b, "idem").length).toBe(23)
  }, 120_000)

  it("pruning deletes finished jobs past the retention; a resubmit then runs again", async () => {
    const count = Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM effect_parallel_messages WHERE entity_id LIKE 'idem-%'`
      return Number(rows[0]!.n)
    })
    const sqlite = SqliteClient.layer({ filename: storage.slice("sqlite:".length) })
    const before = await count.pipe(Effect.provide(sqlite), Effect.runPromise)
    await prune("1 hour").pipe(Effect.provide(sqlite), Effect.runPromise)
    expect(await count.pipe(Effect.provide(sqlite), Effect.runPromise)).toBe(before)
    await prune("0 millis").pipe(Effect.provide(sqlite), Effect.runPromise)
    expect(before).toBeGreaterThanOrEqual(20)
    expect(await count.pipe(Effect.provide(sqlite), Effect.runPromise)).toBe(0)
    const again = await runJobs(20, 10).pipe(Effect.provide(client("idem")), Effect.runPromise)
    expectCorrect(again.results, 20)
    expect(ofClient(a, "idem").length + ofClient(b, "idem").length).toBe(43)
  }, 120_000)

  it("keeps the JobServer API: typed failures, groups, activeNodes, ncpus, the stats table", async () => {
    const program = Effect.gen(function*() {
      const server = yield* JobServer.JobServer
      const failing = yield* server.submit(new Work({ i: -1, millis: 0 }), { group: "g" })
      const ok = yield* server.submit(new Work({ i: 7, millis: 10 }), { group: "g" })
      yield* server.wait("g")
      const failed = yield* Effect.exit(failing)
      const nodes = yield* server.activeNodes
      return {
        failed,
        ok: yield* ok,
        nodes,
        ncpus: yield* server.ncpus,
        table: yield* server.statsTable,
        resize: yield* Effect.flip(server.setNcpus(8))
      }
    })
    const out = await program.pipe(Effect.provide(client("api")), Effect.runPromise)
    expect(Exit.isFailure(out.failed)).toBe(true)
    if (Exit.isFailure(out.failed)) {
      const error = Cause.failureOption(out.failed.cause)
      expect(Option.getOrThrow(error)).toMatchObject({ _tag: "Negative", i: -1 })
    }
    expect(out.ok).toEqual({ i: 7, square: 49n })
    expect(out.nodes.map((n) => n.node).sort()).toEqual([a.node, b.node].sort())
    expect(out.ncpus).toBe(4)
    expect(out.table).toContain("job count | % of all jobs | job time sum | time per job | job server")
    expect(out.resize._tag).toBe("InvalidOptions")
  }, 120_000)

  it("interrupting a job interrupts its task on the runner", async () => {
    const marker = path.join(dir, "hold")
    const out = await Effect.gen(function*() {
      const server = yield* JobServer.JobServer
      const job = yield* server.submit(new Hold({ marker }))
      yield* waitFor("the job to start on a runner", () => fileSays(marker) === "started", 60_000)
      yield* job.interrupt
      yield* waitFor("the runner to interrupt it", () => fileSays(marker) === "interrupted", 30_000)
      return yield* Effect.exit(job.await)
    }).pipe(Effect.provide(client("interrupt")), Effect.scoped, Effect.runPromise)
    expect(Exit.isInterrupted(out)).toBe(true)
  }, 120_000)

  it("refuses a wrong secret typed: the client, a raw request, and a runner; no job runs", async () => {
    const before = a.jobs.length + b.jobs.length
    const exit = await runJobs(5, 0).pipe(Effect.provide(client("intruder", { secret: "guess" })), Effect.runPromiseExit)
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      expect(Option.getOrThrow(Cause.failureOption(exit.cause))).toMatchObject({ _tag: "ClusterAuthError" })
    }
    // a request without a valid signature never reaches the runner
    const response = await fetch(`http://${a.node}/`, { method: "POST", body: "{}", headers: { "content-type": "application/ndjson" } })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ _tag: "ClusterAuthError" })
    const forged = await fetch(`http://${a.node}/`, {
      method: "POST",
      body: "{}",
      headers: { "x-effect-parallel-auth": `${Date.now()}.nonce.bm90LXRoZS1tYWM` }
    })
    expect(forged.status).toBe(401)
    // a runner with a wrong secret does not join
    const rogue = await startRunner({ storage, secret: "guess" })
    const exited = await rogue.exited
    expect(exited.code).toBe(3)
    expect(rogue.lines.join("\n")).toContain("cluster authentication failed")
    expect(a.jobs.length + b.jobs.length).toBe(before)
  }, 120_000)

  it("refuses a node whose shard count differs from the cluster's", async () => {
    const exit = await runJobs(1, 0).pipe(Effect.provide(client("shards", { shardsPerGroup: 32 })), Effect.runPromiseExit)
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      expect(error).toMatchObject({ _tag: "ClusterError" })
      expect(error.message).toContain("shardsPerGroup is 32 here but 64 in the cluster")
    }
    const rogue = await startRunner({ storage, secret, extra: ["--shards", "32"] })
    const exited = await rogue.exited
    expect(exited.code).not.toBe(0)
    expect(rogue.lines.join("\n")).toContain("shardsPerGroup is 32 here but 64")
  }, 60_000)

  it("refuses options no node can work with, before it starts anything", async () => {
    const failure = async (effect: Effect.Effect<unknown, unknown>) => {
      const exit = await Effect.runPromiseExit(effect)
      expect(Exit.isFailure(exit)).toBe(true)
      return Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) as { _tag: string; message: string } : undefined
    }
    const client0 = await failure(runJobs(1, 0).pipe(Effect.provide(client("zero", { shardsPerGroup: 0 }))))
    expect(client0).toMatchObject({ _tag: "ClusterError" })
    expect(client0!.message).toContain("shardsPerGroup must be a positive integer")
    const runner = (timings: Cluster.Timings) =>
      failure(Effect.scoped(Cluster.serve({
        host: "127.0.0.1",
        port: 1,
        workers: 1,
        secret: Redacted.make(secret),
        storage,
        tasks: path.join(import.meta.dirname, "fixtures", "cluster-tasks-runner.ts"),
        timings
      })))
    const locks = await runner({ shardLockExpiration: "1 second", shardLockRefreshInterval: "2 seconds" })
    expect(locks).toMatchObject({ _tag: "InvalidOptions" })
    expect(locks!.message).toContain("must be longer than shardLockRefreshInterval")
    expect((await runner({ entityReplyPollInterval: "-1 millis" }))!.message).toContain("entityReplyPollInterval")
    // a runner whose storage cannot be opened says why before it exits
    const broken = await startRunner({ storage: `sqlite:${path.join(dir, "missing", "dir", "x.db")}`, secret })
    const exited = await broken.exited
    expect(exited.code).not.toBe(0)
    expect(broken.lines.join("\n")).toContain("effect-parallel: ")
  }, 60_000)

  it("SIGKILL of a runner mid-run: all 200 results still arrive, correct", async () => {
    const victim = b
    const children = childPids(victim.pid)
    expect(children.length).toBe(2)
    const started = Date.now()
    let killedAt = 0
    const { results, stats } = await runJobs(200, 100, (done) => {
      if (done === 30) {
        killedAt = Date.now()
        victim.kill("SIGKILL")
      }
    }).pipe(Effect.provide(client("sigkill")), Effect.runPromise)
    expectCorrect(results, 200)
    expect(killedAt).toBeGreaterThan(0)
    expect(stats.jobs).toBe(200)
    // every job ran on the survivor or had finished on the victim; the victim's in-flight ones ran again
    const ranOn = new Set([...ofClient(a, "sigkill"), ...ofClient(victim, "sigkill")])
    expect(ranOn.size).toBe(200)
    // the killed runner's worker processes end with it: no orphans
    for (let i = 0; i < 100 && children.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100))
    expect(children.filter(isAlive)).toEqual([])
    console.log(
      `SIGKILL: 200 jobs in ${Date.now() - started} ms; the last result ${Date.now() - killedAt} ms after the kill; ` +
        `victim ran ${ofClient(victim, "sigkill").length}, survivor ${ofClient(a, "sigkill").length}`
    )
  }, 120_000)

  it("SIGTERM of a runner mid-run: it finishes or hands over its jobs; nothing lost, nothing duplicated", async () => {
    const c = await startRunner({ storage, secret })
    await awaitReady(c)
    let stoppedAt = 0
    // stop it mid-run, once it has run jobs of its own (on a busy machine its first ones can come late)
    const { results } = await runJobs(200, 50, (done) => {
      if (stoppedAt === 0 && done >= 40 && ofClient(c, "sigterm").length > 0) {
        stoppedAt = Date.now()
        c.kill("SIGTERM")
      }
    }).pipe(Effect.provide(client("sigterm")), Effect.runPromise)
    if (stoppedAt === 0) c.kill("SIGKILL")
    expect(stoppedAt, "the runner got no job before the run ended").toBeGreaterThan(0)
    expectCorrect(results, 200)
    const exited = await c.exited
    const ran = [...ofClient(a, "sigterm"), ...ofClient(c, "sigterm")]
    expect(ran.length).toBe(200)
    expect(new Set(ran).size).toBe(200)
    expect(ofClient(c, "sigterm").length).toBeGreaterThan(0)
    console.log(
      `SIGTERM: stopped runner exited (${exited.code ?? exited.signal}) ${Date.now() - stoppedAt} ms after the signal; ` +
        `it ran ${ofClient(c, "sigterm").length} jobs, the other ${ofClient(a, "sigterm").length}`
    )
  }, 180_000)
})

