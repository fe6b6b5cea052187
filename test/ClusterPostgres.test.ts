/**
 * Cluster mode on Postgres (the storage for many hosts): two runner processes and a client share a Postgres
 * database. Runs only when a server is reachable: EFFECT_PARALLEL_PG_URL, or postgres://postgres@127.0.0.1:5432/postgres
 * (scripts/postgres.sh starts one on loopback); skipped otherwise.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Redacted } from "effect"
import * as net from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { JobServer } from "../src/index.js"
import * as ClusterJobServer from "../src/layers/ClusterJobServer.js"
import { awaitReady, killAll, startRunner } from "./fixtures/cluster-runners.js"
import { Work } from "./fixtures/cluster-tasks.js"

const url = process.env.EFFECT_PARALLEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

const reachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(url)
  const socket = net.connect({ host: hostname, port: Number(port || 5432) })
  socket.setTimeout(1000)
  socket.once("connect", () => {
    socket.destroy()
    resolve(true)
  })
  socket.once("timeout", () => {
    socket.destroy()
    resolve(false)
  })
  socket.once("error", () => resolve(false))
})

if (!reachable) {
  console.warn(
    `ClusterPostgres: skipped, no Postgres server at ${new URL(url).host} ` +
      `(start one with scripts/postgres.sh, or set EFFECT_PARALLEL_PG_URL)`
  )
}

/** A fresh schema-free namespace per run: a database of its own, dropped at the end. */
const database = `effect_parallel_test_${process.pid}`

/** Runs one statement on the server's default database. */
const admin = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.runPromise)

afterAll(async () => {
  await killAll()
  if (reachable) await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
})

describe.skipIf(!reachable)("Cluster on Postgres", () => {
  it("2 runners + a client run 100 jobs spread over both", async () => {
    await admin(`CREATE DATABASE ${database}`)
    const scoped = new URL(url)
    scoped.pathname = `/${database}`
    const storage = scoped.toString()
    const secret = "pg secret"
    const started = Date.now()
    const a = await startRunner({ storage, secret })
    await awaitReady(a)
    const b = await startRunner({ storage, secret })
    await awaitReady(b)
    const ready = Date.now()
    const program = Effect.gen(function*() {
      const server = yield* JobServer.JobServer
      const jobs = yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) =>
        server.submit(new Work({ i, millis: 10 })))
      const results = yield* Effect.forEach(jobs, (job) => job)
      return { results, stats: yield* server.stats }
    })
    const { results, stats } = await program.pipe(
      Effect.provide(ClusterJobServer.layer({ storage, secret: Redacted.make(secret), minRunners: 2 })),
      Effect.runPromise
    )
    results.forEach((result, i) => expect(result).toEqual({ i, square: BigInt(i * i) }))
    const byNode = new Map(stats.nodes.map((node) => [node.node, node.jobs]))
    expect(byNode.get(a.node)).toBeGreaterThan(0)
    expect(byNode.get(b.node)).toBeGreaterThan(0)
    console.log(`Postgres: runners ready in ${ready - started} ms, 100 jobs in ${Date.now() - ready} ms`)
    await killAll()
  }, 240_000)
})
