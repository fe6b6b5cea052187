import * as HttpRunner from "@effect/cluster/HttpRunner"
import { RunnerStorage } from "@effect/cluster/RunnerStorage"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Context from "effect/Context"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as SqlClient from "@effect/sql/SqlClient"
import * as crypto from "node:crypto"
import { ClusterAuthError, ClusterError } from "../../ClusterError.js"
import { InvalidOptions } from "../../Errors.js"
import type { JobServerService, NodeStats, Stats } from "../../services/JobServer.js"
import { JobServer } from "../../services/JobServer.js"
import type * as Task from "../../Task.js"
import { callback, formatStats, makeJobGroups } from "../jobServer.js"
import * as auth from "./auth.js"
import type * as ClusterJobServer from "../../layers/ClusterJobServer.js"
import { invalidOptions, layerConfig, settingsOf, TABLE_PREFIX } from "./config.js"
import { decodeExit, encodeTask, JobEntity } from "./protocol.js"
import { layerSql } from "./storage.js"

export type ClientOptions = ClusterJobServer.ClusterJobServer.Options

const nodeOf = (address: { readonly host: string; readonly port: number }) => `${address.host}:${address.port}`

const makeClient = (options: ClientOptions) =>
  Effect.gen(function*() {
    const makeJob = yield* JobEntity.client
    const runnerStorage = yield* RunnerStorage
    const scope = yield* Effect.scope
    const clientId = options.clientId ?? crypto.randomUUID()
    const started = performance.now()
    let seq = 0
    let jobs = 0
    const perNode = new Map<string, { jobs: number; totalMillis: number }>()
    const groups = makeJobGroups(scope)

    const activeNodes = runnerStorage.getRunners.pipe(
      Effect.map((runners) =>
        runners
          .filter(([, healthy]) => healthy)
          .map(([runner]) => ({ node: nodeOf(runner.address), cores: runner.weight }))
          .sort((a, b) => a.node.localeCompare(b.node))
      ),
      Effect.orElseSucceed(() => [])
    )

    const submit: JobServerService["submit"] = (task, submitOptions) =>
      Effect.suspend(() => {
        const group = submitOptions?.group ?? "default"
        const n = ++seq
        const taskClass = task.constructor as unknown as Task.AnyClass
        const run = Effect.gen(function*() {
          const data = yield* encodeTask(task)
          // The job's id names its task too: the same client id and number with another task (a later run of
          // the client, say) is another job, never answered with the first one's result.
          const id = `${clientId}-${n}-${auth.digest(task._tag, data)}`
          // The job's id is its primary key, so sending it again after a storage hiccup cannot run it twice.
          const reply = yield* makeJob(id).Run({ id, tag: task._tag, task: data, mac: auth.jobMac(options.secret, id, task._tag, data) })
            .pipe(
              Effect.retry({
                while: (error) => error._tag === "PersistenceError" || error._tag === "MailboxFull",
                schedule: Schedule.exponential(Duration.millis(100)).pipe(
                  Schedule.union(Schedule.spaced(Duration.seconds(2))),
                  Schedule.upTo(Duration.minutes(1))
                )
              }),
              Effect.orDie
            )
          if (!auth.verifyReplyMac(options.secret, id, reply.node, reply.exit, reply.mac)) {
            return yield* Effect.die(
              new ClusterAuthError({ reason: `the reply to job ${id} is not signed with this cluster's secret` })
            )
          }
          jobs++
          const entry = perNode.get(reply.node) ?? { jobs: 0, totalMillis: 0 }
          entry.jobs++
          entry.totalMillis += reply.millis
          perNode.set(reply.node, entry)
          const exit = yield* decodeExit(taskClass, reply.exit)
          return yield* (exit as Exit.Exit<Task.Success<typeof task>, Task.Failure<typeof task>>)
        })
        const onDone = submitOptions?.onDone
        const withCallback = onDone === undefined ? run : Effect.onExit(run, (exit) => callback(onDone, exit))
        return groups.start(withCallback, group)
      })

    const wait: JobServerService["wait"] = groups.wait

    const stats = Effect.map(activeNodes, (active): Stats => {
      const cores = new Map(active.map((n) => [n.node, n.cores]))
      const names = new Set([...perNode.keys(), ...cores.keys()])
      const nodes: Array<NodeStats> = Array.from(names).sort().map((node) => {
        const entry = perNode.get(node) ?? { jobs: 0, totalMillis: 0 }
        return {
          node,
          cores: cores.get(node) ?? 0,
          jobs: entry.jobs,
          totalMillis: entry.totalMillis,
          meanMillis: entry.jobs === 0 ? 0 : entry.totalMillis / entry.jobs
        }
      })
      return { nodes, jobs, uptimeMillis: performance.now() - started }
    })

    const service: JobServerService = {
      submit,
      wait,
      ncpus: Effect.map(activeNodes, (nodes) => nodes.reduce((sum, n) => sum + n.cores, 0)),
      setNcpus: () =>
        Effect.fail(
          new InvalidOptions({ reason: "a cluster job server has no local workers: start runners with --workers" })
        ),
      stats,
      statsTable: Effect.map(stats, formatStats),
      printStats: Effect.flatMap(stats, (s) => Console.log(formatStats(s))),
      activeNodes
    }
    return service
  })

const readyTimeout = (options: ClientOptions) => Duration.decode(options.readyTimeout ?? Duration.seconds(60))

/**
 * Waits for the storage's secret verifier (set by the first runner) and checks the secret against it, so a
 * wrong secret fails before any job is written.
 */
const awaitVerifier = (options: ClientOptions) =>
  Effect.gen(function*() {
    const invalid = invalidOptions({ shardsPerGroup: options.shardsPerGroup, timings: options.timings })
    if (invalid !== undefined) return yield* new ClusterError({ reason: `invalid options: ${invalid}` })
    const timeout = readyTimeout(options)
    const deadline = Date.now() + Duration.toMillis(timeout)
    while (!(yield* auth.checkSecret(options.secret, { create: false, prefix: TABLE_PREFIX }))) {
      if (Date.now() > deadline) {
        return yield* new ClusterError({ reason: `no runner joined the storage within ${Duration.format(timeout)}` })
      }
      yield* Effect.sleep(250)
    }
    yield* auth.checkSettings(settingsOf(options.shardsPerGroup), { prefix: TABLE_PREFIX })
  })

const awaitRunners = (options: ClientOptions) =>
  Effect.gen(function*() {
    const runnerStorage = yield* RunnerStorage
    const timeout = readyTimeout(options)
    const deadline = Date.now() + Duration.toMillis(timeout)
    const minRunners = options.minRunners ?? 1
    for (;;) {
      const runners = yield* Effect.orElseSucceed(runnerStorage.getRunners, () => [])
      if (runners.filter(([, healthy]) => healthy).length >= minRunners) return
      if (Date.now() > deadline) {
        return yield* new ClusterError({ reason: `fewer than ${minRunners} runner(s) within ${Duration.format(timeout)}` })
      }
      yield* Effect.sleep(250)
    }
  })

const layerStorage = (options: ClientOptions) =>
  Layer.mergeAll(
    SqlMessageStorage.layerWith({ prefix: TABLE_PREFIX }),
    Layer.orDie(SqlRunnerStorage.layerWith({ prefix: TABLE_PREFIX }))
  ).pipe(
    Layer.provide(
      Layer.effect(SqlClient.SqlClient, Effect.tap(SqlClient.SqlClient, () => awaitVerifier(options))).pipe(
        Layer.provide(layerSql(options.storage))
      )
    )
  )

export const layer = (options: ClientOptions): Layer.Layer<JobServer, ClusterAuthError | ClusterError> =>
  Layer.scoped(JobServer, Effect.zipRight(awaitRunners(options), makeClient(options))).pipe(
    Layer.provide(HttpRunner.layerHttpClientOnly),
    Layer.provide(auth.layerSigningClient(options.secret)),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provide(RpcSerialization.layerNdjson),
    Layer.provideMerge(layerStorage(options)),
    Layer.provide(layerConfig({ runnerAddress: Option.none(), shardsPerGroup: options.shardsPerGroup, timings: options.timings })),
    Layer.map((context) => Context.pick(JobServer)(context))
  )
