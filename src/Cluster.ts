/**
 * Cluster mode: run jobs on many machines, each an `effect-parallel serve`
 * runner (Parallel Python's `ppserver.py`).
 *
 * Built on `@effect/cluster`. Each runner serves one entity type whose
 * handler hands every job to the runner's own `WorkerPool` (worker threads by
 * default), so CPU-heavy jobs never block the runner's event loop and its
 * shard locks stay fresh. Jobs are persisted messages in SQL storage (a
 * SQLite file on one host, Postgres across hosts) whose primary key is the
 * job id: a runner that dies has its jobs re-run on the survivors, and a
 * resubmitted job is answered from storage. Every node runs the same tasks
 * module (a module that default-exports a `TaskRunner`).
 *
 * Security: the engine has no shared secret, so this module adds one. Every
 * HTTP request between nodes carries a timestamp, a nonce and an HMAC-SHA256
 * (over them, the method, the path and the body's hash) keyed by the secret;
 * a runner answers anything else with 401 and a `ClusterAuthError`, and
 * remembers nonces so a captured request cannot be replayed. Every job also
 * carries an HMAC checked by the runner that runs it, so a job written to
 * storage by anyone without the secret never runs, and every reply carries
 * the runner's HMAC checked by the client, so a result cannot be forged on
 * the wire or in storage. Nodes check their secret
 * against a salted scrypt verifier kept in storage before they join; a wrong
 * secret ends the start with a `ClusterAuthError`. The secret never travels.
 * (Whoever can write the storage directly can still disturb the cluster:
 * protect Postgres with its own credentials.)
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Cluster } from "effect-parallel"
 *
 * // what `effect-parallel serve --port 60001 --workers 4 --secret s --tasks ./worker.ts` runs
 * Cluster.serve({
 *   host: "127.0.0.1", port: 60001, workers: 4,
 *   secret: Redacted.make("s"), storage: "sqlite:cluster.db",
 *   tasks: "./worker.ts"
 * }).pipe(Effect.zipRight(Effect.never), Effect.scoped, Effect.runPromise)
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { ClusterAuthError, ClusterError } from "./ClusterError.js"
import type { InvalidOptions, SpawnError } from "./Errors.js"
import * as config from "./internal/cluster/config.js"
import * as runner from "./internal/cluster/runner.js"

/**
 * Failover and polling timings, the same on every node. The defaults move a
 * dead runner's jobs to the survivors within about 10 seconds: its shard
 * locks expire `shardLockExpiration` after their last refresh, and the
 * survivors take them over within `refreshAssignmentsInterval` plus a second.
 * A shorter expiration fails over faster, but a runner whose storage stalls
 * for longer than it loses its shards (its jobs then run again elsewhere).
 *
 * @since 0.1.0
 * @category models
 */
export interface Timings {
  /** How often a runner refreshes its shard locks. Default 2 seconds. */
  readonly shardLockRefreshInterval?: Duration.DurationInput | undefined
  /** How long a shard lock lives without a refresh (a dead runner's shards free up after this). Default 6 seconds. */
  readonly shardLockExpiration?: Duration.DurationInput | undefined
  /** How often runners ping each other and mark the dead ones unhealthy. Default 2 seconds. */
  readonly runnerHealthCheckInterval?: Duration.DurationInput | undefined
  /** How often a node re-reads the runners and recomputes shard assignments. Default 1 second. */
  readonly refreshAssignmentsInterval?: Duration.DurationInput | undefined
  /** How often a runner polls storage for jobs it was not told about. Default 2 seconds. */
  readonly entityMessagePollInterval?: Duration.DurationInput | undefined
  /** How often a client polls storage for replies it could not receive directly. Default 200 ms. */
  readonly entityReplyPollInterval?: Duration.DurationInput | undefined
  /** How long a stopping runner lets its in-flight jobs finish before interrupting them. Default 30 seconds. */
  readonly entityTerminationTimeout?: Duration.DurationInput | undefined
}

/**
 * The default timings (see `Timings`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultTimings: { readonly [K in keyof Timings]-?: Duration.Duration } = config.defaultTimings

/**
 * The number of shards the jobs are spread over, by default. It must be the
 * same on every node of a cluster.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultShardsPerGroup: number = config.DEFAULT_SHARDS

/**
 * A job a runner has finished, for logging.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobEvent {
  readonly id: string
  readonly tag: string
  readonly millis: number
  readonly success: boolean
}

/**
 * Options of a runner.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunnerOptions {
  /** The host other nodes reach this runner at (also the listen address unless `listenHost` is set). */
  readonly host: string
  /** The runner's port. */
  readonly port: number
  /** The address to listen on, when it differs from `host` (e.g. "0.0.0.0"). */
  readonly listenHost?: string | undefined
  /** How many local workers run the jobs (this is also the runner's share of the shards). */
  readonly workers: number
  /** The cluster's shared secret. */
  readonly secret: Redacted.Redacted<string>
  /** `sqlite:PATH` (one host) or `postgres://user:password@host/db` (many hosts). */
  readonly storage: string
  /** The tasks module, the same on every node: a path or URL of a module that default-exports a `TaskRunner`. */
  readonly tasks: string | URL
  /** Worker threads (default) or child processes. */
  readonly kind?: "thread" | "process" | undefined
  /** Start the local workers from a bundle of the tasks module (see `NodeWorkerPool`'s `bundle`). Defaults to false. */
  readonly bundle?: boolean | undefined
  /** The number of shards; must match every other node. Defaults to `defaultShardsPerGroup`. */
  readonly shardsPerGroup?: number | undefined
  /** Failover timings; must match every other node. */
  readonly timings?: Timings | undefined
  /**
   * How long finished jobs stay in storage (the engine never deletes them): a
   * job resubmitted within this time is answered from storage, later it runs
   * again. Runners delete older ones now and then. Defaults to 24 hours.
   */
  readonly retention?: Duration.DurationInput | "forever" | undefined
  /** Called after each job this runner finished. */
  readonly onJob?: ((job: JobEvent) => void) | undefined
}

/**
 * What a ready runner reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunnerInfo {
  /** The runner's address, `host:port`, as it appears in job statistics. */
  readonly node: string
  /** How many shards it held when it became ready. */
  readonly shards: number
  /** The tags of the tasks it serves. */
  readonly tasks: ReadonlyArray<string>
}

/**
 * Starts a runner in the current scope and returns once it is ready: it has
 * joined the cluster and holds its share of the shards. Closing the scope
 * stops it gracefully: it takes no new jobs, lets its in-flight jobs finish
 * (up to `entityTerminationTimeout`), then releases its shards to the others.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve: (
  options: RunnerOptions
) => Effect.Effect<RunnerInfo, ClusterAuthError | ClusterError | SpawnError | InvalidOptions, Scope.Scope> =
  runner.make

/**
 * A runner as a Layer (see `serve`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRunner = (
  options: RunnerOptions
): Layer.Layer<never, ClusterAuthError | ClusterError | SpawnError | InvalidOptions> =>
  Layer.scopedDiscard(runner.make(options))
