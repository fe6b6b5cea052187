#!/usr/bin/env node
/**
 * The `effect-parallel` command. `effect-parallel serve` starts a cluster
 * runner (Parallel Python's `ppserver.py -i HOST -p PORT -w WORKERS -s SECRET`)
 * serving the tasks of a module that default-exports a `TaskRunner`.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Config from "effect/Config"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as os from "node:os"
import * as Cluster from "../Cluster.js"

const seconds = (name: string, description: string) =>
  Options.float(name).pipe(Options.withDescription(description), Options.optional)

const serve = Command.make("serve", {
  host: Options.text("host").pipe(
    Options.withAlias("i"),
    Options.withDefault("127.0.0.1"),
    Options.withDescription("the address other nodes reach this runner at")
  ),
  listenHost: Options.text("listen-host").pipe(
    Options.withDescription("the address to listen on, if not --host (e.g. 0.0.0.0)"),
    Options.optional
  ),
  port: Options.integer("port").pipe(Options.withAlias("p"), Options.withDefault(60000)),
  workers: Options.integer("workers").pipe(
    Options.withAlias("w"),
    Options.withDefault(os.availableParallelism()),
    Options.withDescription("local workers (default: the number of cores)")
  ),
  secret: Options.redacted("secret").pipe(
    Options.withAlias("s"),
    Options.withFallbackConfig(Config.redacted("EFFECT_PARALLEL_SECRET")),
    Options.withDescription("the cluster's shared secret (or EFFECT_PARALLEL_SECRET)")
  ),
  storage: Options.text("storage").pipe(
    Options.withDefault("sqlite:effect-parallel.db"),
    Options.withDescription("sqlite:PATH (one host) or postgres://user:password@host/db")
  ),
  tasks: Options.text("tasks").pipe(
    Options.withAlias("t"),
    Options.withDescription("the tasks module (default-exports a TaskRunner), the same on every node")
  ),
  processes: Options.boolean("processes").pipe(Options.withDescription("run jobs in child processes, not threads")),
  bundle: Options.boolean("bundle").pipe(
    Options.withDescription("start the workers from an esbuild bundle of the tasks module (faster starts)")
  ),
  shards: Options.integer("shards").pipe(
    Options.withDefault(Cluster.defaultShardsPerGroup),
    Options.withDescription("shards per group: the same on every node")
  ),
  lockRefresh: seconds("lock-refresh", "seconds between shard lock refreshes (default 2)"),
  lockExpiration: seconds("lock-expiration", "seconds a dead runner's shard locks live (default 6)"),
  healthCheck: seconds("health-check", "seconds between runner health checks (default 2)"),
  retainHours: Options.float("retain-hours").pipe(
    Options.withDefault(24),
    Options.withDescription("hours finished jobs stay in storage (resubmits are answered from it); 0 keeps them forever")
  ),
  logJobs: Options.boolean("log-jobs").pipe(Options.withDescription("print a line for every finished job")),
  verbose: Options.boolean("verbose").pipe(Options.withAlias("v"))
}, (options) =>
  Effect.gen(function*() {
    const timing = (value: Option.Option<number>) =>
      Option.getOrUndefined(Option.map(value, (s) => Duration.millis(Math.round(s * 1000))))
    const info = yield* Cluster.serve({
      host: options.host,
      port: options.port,
      listenHost: Option.getOrUndefined(options.listenHost),
      workers: options.workers,
      secret: options.secret,
      storage: options.storage,
      tasks: options.tasks,
      kind: options.processes ? "process" : "thread",
      bundle: options.bundle,
      shardsPerGroup: options.shards,
      timings: {
        shardLockRefreshInterval: timing(options.lockRefresh),
        shardLockExpiration: timing(options.lockExpiration),
        runnerHealthCheckInterval: timing(options.healthCheck)
      },
      retention: options.retainHours <= 0 ? "forever" : Duration.millis(Math.round(options.retainHours * 3_600_000)),
      onJob: options.logJobs
        ? (job) => console.log(`job ${job.id} ${job.tag} ${job.success ? "ok" : "failed"} ${job.millis.toFixed(1)} ms`)
        : undefined
    })
    yield* Console.log(
      `effect-parallel: runner ready on ${info.node} (pid ${process.pid}, ${options.workers} workers, ${info.shards} shards, tasks: ${
        info.tasks.join(", ")
      })`
    )
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Logger.withMinimumLogLevel(options.verbose ? LogLevel.Debug : LogLevel.Warning),
    Effect.tapErrorTag("ClusterAuthError", (error) =>
      Effect.sync(() => {
        console.error(`effect-parallel: ${error.message}`)
        process.exit(3)
      })),
    Effect.tapError((error) =>
      Effect.sync(() => {
        if (error._tag !== "ClusterAuthError") console.error(`effect-parallel: ${error.message}`)
      })),
    // a defect (a storage error at start-up, say) is reported too, not only its exit code
    Effect.tapDefect((defect) => Effect.sync(() => console.error(`effect-parallel: ${Cause.pretty(defect)}`)))
  )).pipe(Command.withDescription("start a cluster runner node (Parallel Python's ppserver)"))

const command = Command.make("effect-parallel").pipe(Command.withSubcommands([serve]))

const cli = Command.run(command, { name: "effect-parallel", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
