import * as HttpRunner from "@effect/cluster/HttpRunner"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as ShardId from "@effect/cluster/ShardId"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as HttpRouter from "@effect/platform/HttpLayerRouter"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { createServer } from "node:http"
import { DecodeError, InvalidOptions, PoolClosed } from "../../Errors.js"
import * as NodeWorkerPool from "../../layers/NodeWorkerPool.js"
import { WorkerPool } from "../../services/WorkerPool.js"
import type * as Task from "../../Task.js"
import type { TaskRunner } from "../../workers/TaskRunner.js"
import * as auth from "./auth.js"
import type { RunnerOptions } from "../../Cluster.js"
import { invalidOptions, layerConfig, settingsOf, TABLE_PREFIX } from "./config.js"
import { ClusterAuthError, ClusterError } from "../../ClusterError.js"
import { decodeTask, encodeExit, JobEntity } from "./protocol.js"
import { pruneForever } from "./prune.js"
import { layerSql } from "./storage.js"
import { loadTaskRunner } from "./tasks.js"


/** The SQL client, usable only once the secret has been checked against the storage's verifier. */
const layerCheckedSql = (storage: string, secret: Redacted.Redacted<string>, create: boolean) =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.tap(SqlClient.SqlClient, () => auth.checkSecret(secret, { create, prefix: TABLE_PREFIX }))
  ).pipe(Layer.provide(layerSql(storage)))

export const layerStorage = (storage: string, secret: Redacted.Redacted<string>, create: boolean) =>
  Layer.mergeAll(
    SqlMessageStorage.layerWith({ prefix: TABLE_PREFIX }),
    Layer.orDie(SqlRunnerStorage.layerWith({ prefix: TABLE_PREFIX }))
  ).pipe(Layer.provideMerge(layerCheckedSql(storage, secret, create)))

export const layerTransportClient = (secret: Redacted.Redacted<string>) =>
  HttpRunner.layerClientProtocolHttpDefault.pipe(
    Layer.provide(auth.layerSigningClient(secret)),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provide(RpcSerialization.layerNdjson)
  )

const nodeName = (options: RunnerOptions) => `${options.host}:${options.port}`

/** Stands in for a task class this node does not serve, to encode the DecodeError it answers with. */
const unknownTask = (tag: string): Task.AnyClass => ({ _tag: tag, success: Schema.Never, failure: Schema.Never }) as any

const layerHandlers = (options: RunnerOptions, runner: TaskRunner<unknown>) => {
  const registry = new Map<string, Task.AnyClass>(runner.tasks.map((taskClass) => [taskClass._tag, taskClass]))
  const node = nodeName(options)
  return JobEntity.toLayer(
    Effect.gen(function*() {
      const pool = yield* WorkerPool
      return JobEntity.of({
        Run: (envelope) =>
          Effect.gen(function*() {
            const { id, mac, tag, task } = envelope.payload
            if (!auth.verifyJobMac(options.secret, id, tag, task, mac)) {
              return yield* new ClusterAuthError({ reason: `job ${id} is not signed with this cluster's secret` })
            }
            const taskClass = registry.get(tag)
            const started = performance.now()
            const exit: Exit.Exit<unknown, unknown> = taskClass === undefined
              ? Exit.fail(new DecodeError({ task: tag, reason: `node ${node} serves no task '${tag}'` }))
              : yield* Effect.exit(Effect.flatMap(decodeTask(taskClass, task), (value) => pool.run(value)))
            // A pool closing under the job (this runner is stopping) is not the job's answer: left unanswered, the
            // job goes to the runner that takes this shard over.
            if (Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.exists((e) => e instanceof PoolClosed))) {
              return yield* Effect.interrupt
            }
            const millis = performance.now() - started
            // the node's own callback: a throw there must not fail the job (the cluster would run it again)
            try {
              options.onJob?.({ id, tag, millis, success: Exit.isSuccess(exit) })
            } catch {
              // ignored
            }
            const encoded = yield* encodeExit(taskClass ?? unknownTask(tag), exit)
            return { node, millis, exit: encoded, mac: auth.replyMac(options.secret, id, node, encoded) }
          })
      })
    }),
    { maxIdleTime: Duration.seconds(10) }
  )
}

/** Waits until this runner holds shards and their number has not changed for a while (rebalancing is over). */
const awaitShards = (shardsPerGroup: number, settle: Duration.DurationInput) =>
  Effect.gen(function*() {
    const sharding = yield* Sharding.Sharding
    const count = () => {
      let held = 0
      for (let i = 1; i <= shardsPerGroup; i++) if (sharding.hasShardId(ShardId.make("default", i))) held++
      return held
    }
    let last = -1
    let stableSince = Date.now()
    for (;;) {
      const held = count()
      if (held !== last) {
        last = held
        stableSince = Date.now()
      } else if (held > 0 && Date.now() - stableSince >= Duration.toMillis(settle)) {
        return held
      }
      yield* Effect.sleep(200)
    }
  })

/**
 * A runner: the cluster's HTTP transport (behind the HMAC middleware), SQL storage, and the job entity whose
 * handlers run each job on the local WorkerPool. Ready once the layer is built and `ready` has returned.
 */
export const make = (options: RunnerOptions) =>
  Effect.gen(function*() {
    const invalid = invalidOptions({ shardsPerGroup: options.shardsPerGroup, weight: options.workers, timings: options.timings })
    if (invalid !== undefined) return yield* new InvalidOptions({ reason: invalid })
    // A wrong secret is refused before anything starts (workers, port, registration).
    yield* auth.checkSecret(options.secret, { create: true, prefix: TABLE_PREFIX }).pipe(
      Effect.zipRight(auth.checkSettings(settingsOf(options.shardsPerGroup), { prefix: TABLE_PREFIX })),
      Effect.provide(layerSql(options.storage))
    )
    const runner = yield* loadTaskRunner(options.tasks)
    const address = RunnerAddress.make(options.host, options.port)
    const config = layerConfig({
      runnerAddress: Option.some(address),
      runnerListenAddress: options.listenHost === undefined
        ? Option.none()
        : Option.some(RunnerAddress.make(options.listenHost, options.port)),
      weight: options.workers,
      shardsPerGroup: options.shardsPerGroup,
      timings: options.timings
    })
    const transport = HttpRouter.serve(HttpRunner.layerHttpOptions({ path: "/" }), {
      middleware: auth.middleware(options.secret),
      disableLogger: true,
      disableListenLog: true
    }).pipe(
      Layer.provide(HttpRunner.layerClientProtocolHttpDefault),
      Layer.provide(auth.layerSigningClient(options.secret)),
      Layer.provide(NodeHttpClient.layerUndici),
      Layer.provide(NodeHttpServer.layer(createServer, { host: options.listenHost ?? options.host, port: options.port }))
    )
    const health = RunnerHealth.layerPing.pipe(
      Layer.provide(Runners.layerRpc),
      Layer.provide(layerTransportClient(options.secret))
    )
    const pool = NodeWorkerPool.make(options.kind ?? "thread", {
      module: options.tasks,
      size: options.workers,
      bundle: options.bundle ?? false
    })
    const cluster = layerHandlers(options, runner).pipe(
      Layer.provideMerge(transport),
      Layer.provide(health),
      Layer.provideMerge(layerStorage(options.storage, options.secret, true)),
      Layer.provide(RpcSerialization.layerNdjson),
      Layer.provideMerge(config),
      Layer.provide(Layer.scoped(WorkerPool, pool))
    )
    const context = yield* Layer.build(cluster)
    const shardingConfig = yield* Effect.provide(ShardingConfig.ShardingConfig, context)
    const settle = Duration.sum(Duration.decode(shardingConfig.refreshAssignmentsInterval), Duration.seconds(2))
    const shards = yield* awaitShards(shardingConfig.shardsPerGroup, settle).pipe(Effect.provide(context))
    if (options.retention !== "forever") {
      yield* Effect.forkScoped(pruneForever(options.retention ?? Duration.hours(24)).pipe(Effect.provide(context)))
    }
    return { node: nodeName(options), shards, tasks: runner.tasks.map((taskClass) => taskClass._tag) }
  }).pipe(
    Effect.catchTag("ServeError", (error) => Effect.fail(new ClusterError({ reason: `cannot listen: ${String(error.cause)}` })))
  )
