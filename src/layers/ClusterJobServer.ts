/**
 * A `JobServer` over a cluster of `effect-parallel serve` runners: Parallel
 * Python's `pp.Server(ppservers=..., secret=...)`.
 *
 * The same API as the local job server: `submit` returns a `Job` to `yield*`
 * for the task's typed result, `wait(group)` waits for a group or for
 * everything, `stats` / `printStats` show per node (per runner, `host:port`)
 * how many jobs it ran and for how long, and `activeNodes` lists the healthy
 * runners with their workers. `ncpus` is the sum of the runners' workers;
 * `setNcpus` fails, as the client has no workers of its own.
 *
 * Each job is a persisted message with its own id as primary key, spread over
 * the runners by the hash of that id. If the runner running a job dies, the
 * job runs again on a survivor and its result still arrives (a job may so run
 * twice: make jobs idempotent). Interrupting a job, or closing the layer's
 * scope, interrupts it on its runner.
 *
 * The client checks its secret against the cluster's (a verifier in storage)
 * before it submits anything: a wrong secret fails the layer with a
 * `ClusterAuthError`. It needs the storage (the SQLite file on the same host,
 * or Postgres) and the task classes, not the handlers.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { ClusterJobServer, JobServer } from "effect-parallel"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* JobServer.JobServer
 *   const jobs = yield* Effect.forEach([1, 2, 3], (x) => server.submit(new Square({ x })))
 *   for (const job of jobs) console.log(yield* job)
 *   yield* server.printStats
 * })
 *
 * program.pipe(
 *   Effect.provide(ClusterJobServer.layer({ storage: "sqlite:cluster.db", secret: Redacted.make("s") })),
 *   Effect.runPromise
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { Timings } from "../Cluster.js"
import type { ClusterAuthError, ClusterError } from "../ClusterError.js"
import * as internal from "../internal/cluster/client.js"
import type { JobServer } from "../services/JobServer.js"

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace ClusterJobServer {
  /**
   * Options of a cluster job server.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** The cluster's storage: `sqlite:PATH` (one host) or `postgres://user:password@host/db`. */
    readonly storage: string
    /** The cluster's shared secret. */
    readonly secret: Redacted.Redacted<string>
    /** The number of shards; must match the runners'. */
    readonly shardsPerGroup?: number | undefined
    /** Timings; must match the runners'. */
    readonly timings?: Timings | undefined
    /** How long to wait for the first runners to join. Defaults to 60 seconds. */
    readonly readyTimeout?: Duration.DurationInput | undefined
    /** How many healthy runners to wait for before the layer is ready. Defaults to 1. */
    readonly minRunners?: number | undefined
    /** A prefix for the job ids (a random UUID by default); job ids are `${clientId}-${n}-${digest of the task}`. */
    readonly clientId?: string | undefined
  }
}

/**
 * A job server whose jobs run on the cluster's runners. Fails with
 * `ClusterAuthError` if the secret is wrong, and with `ClusterError` if the
 * storage cannot be reached or no runner joins within `readyTimeout`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options: ClusterJobServer.Options) => Layer.Layer<JobServer, ClusterAuthError | ClusterError> =
  internal.layer
