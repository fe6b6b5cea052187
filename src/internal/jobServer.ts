import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Job from "../Job.js"
import type { JobServerService, NodeStats, Stats } from "../services/JobServer.js"
import { WorkerPool } from "../services/WorkerPool.js"

const LOCAL = "local"

/**
 * Runs a job's `onDone` as pp runs a callback: its failure, defect or throw is logged and changes nothing of the
 * job's own result.
 */
export const callback = <A, E>(onDone: (exit: Exit.Exit<A, E>) => Effect.Effect<void>, exit: Exit.Exit<A, E>) =>
  Effect.catchAllCause(Effect.suspend(() => onDone(exit)), (cause) => Effect.logWarning("a job's onDone callback failed", cause))

export const formatStats = (stats: Stats): string => {
  const rows = stats.nodes.map((node) => {
    const share = stats.jobs === 0 ? 0 : (100 * node.jobs) / stats.jobs
    return [
      String(node.jobs).padStart(10),
      share.toFixed(2).padStart(13),
      (node.totalMillis / 1000).toFixed(4).padStart(12),
      (node.meanMillis / 1000).toFixed(6).padStart(12),
      `${node.node} (${node.cores} cores)`
    ].join(" | ")
  })
  return [
    "Job execution statistics:",
    " job count | % of all jobs | job time sum | time per job | job server",
    ...rows,
    `Time elapsed since server creation ${(stats.uptimeMillis / 1000).toFixed(4)}`,
    `${stats.jobs} jobs done`
  ].join("\n")
}

/** Jobs by group, for `wait(group)`: shared by the local and the cluster job servers. */
export const makeJobGroups = (scope: Scope.Scope) => {
  const groups = new Map<string, Set<Fiber.RuntimeFiber<unknown, unknown>>>()
  return {
    /** Starts `run` in the server's scope as a job of `group`. */
    start: <A, E>(run: Effect.Effect<A, E>, group: string): Effect.Effect<Job.Job<A, E>> =>
      Effect.map(Effect.forkIn(run, scope), (fiber) => {
        let members = groups.get(group)
        if (members === undefined) groups.set(group, members = new Set())
        members.add(fiber)
        fiber.addObserver(() => members.delete(fiber))
        return Job.fromFiber(fiber)
      }),
    wait: (group?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const fibers = group === undefined
          ? Array.from(groups.values()).flatMap((members) => Array.from(members))
          : Array.from(groups.get(group) ?? [])
        return Effect.asVoid(Fiber.awaitAll(fibers))
      })
  }
}

export const makeLocal: Effect.Effect<JobServerService, never, WorkerPool | Scope.Scope> = Effect.gen(function*() {
  const pool = yield* WorkerPool
  const scope = yield* Effect.scope
  const started = performance.now()
  let cores = yield* pool.size
  let jobs = 0
  let totalMillis = 0
  const groups = makeJobGroups(scope)

  const submit: JobServerService["submit"] = (task, options) =>
    Effect.suspend(() => {
      const group = options?.group ?? "default"
      let startedAt: number | undefined
      const run = pool.run(task, { onStart: () => startedAt = performance.now() }).pipe(
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            if (startedAt !== undefined && exit._tag === "Success") {
              jobs++
              totalMillis += performance.now() - startedAt
            }
            return options?.onDone === undefined ? Effect.void : callback(options.onDone, exit)
          })
        )
      )
      return groups.start(run, group)
    })

  const wait: JobServerService["wait"] = groups.wait

  const stats = Effect.sync((): Stats => {
    const node: NodeStats = { node: LOCAL, cores, jobs, totalMillis, meanMillis: jobs === 0 ? 0 : totalMillis / jobs }
    return { nodes: [node], jobs, uptimeMillis: performance.now() - started }
  })

  return {
    submit,
    wait,
    ncpus: Effect.sync(() => cores),
    setNcpus: (n) => Effect.tap(pool.resize(n), () => Effect.sync(() => cores = n)),
    stats,
    statsTable: Effect.map(stats, formatStats),
    printStats: Effect.flatMap(stats, (s) => Console.log(formatStats(s))),
    activeNodes: Effect.sync(() => [{ node: LOCAL, cores }])
  }
})
