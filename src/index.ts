/**
 * effect-parallel: use every core from Effect.
 *
 * Cluster mode is not re-exported here (it loads @effect/cluster and SQL
 * drivers): import `effect-parallel/Cluster`, `effect-parallel/ClusterJobServer`
 * and `effect-parallel/ClusterError`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * @since 0.1.0
 */
export * as Exchange from "./Exchange.js"

/**
 * @since 0.1.0
 */
export * as Job from "./Job.js"

/**
 * @since 0.1.0
 */
export * as JobServer from "./services/JobServer.js"

/**
 * @since 0.1.0
 */
export * as Metrics from "./Metrics.js"

/**
 * @since 0.1.0
 */
export * as NodeWorkerPool from "./layers/NodeWorkerPool.js"

/**
 * @since 0.1.0
 */
export * as Parallel from "./Parallel.js"

/**
 * @since 0.1.0
 */
export * as Pipe from "./Pipe.js"

/**
 * @since 0.1.0
 */
export * as Process from "./Process.js"

/**
 * @since 0.1.0
 */
export * as Task from "./Task.js"

/**
 * @since 0.1.0
 */
export * as TaskChannel from "./TaskChannel.js"

/**
 * @since 0.1.0
 */
export * as TaskRunner from "./workers/TaskRunner.js"

/**
 * @since 0.1.0
 */
export * as TestWorkerPool from "./layers/TestWorkerPool.js"

/**
 * @since 0.1.0
 */
export * as WorkerPool from "./services/WorkerPool.js"

/**
 * @since 0.1.0
 */
export * as SharedArray from "./SharedArray.js"

/**
 * @since 0.1.0
 */
export * as SharedBarrier from "./SharedBarrier.js"

/**
 * @since 0.1.0
 */
export * as SharedEvent from "./SharedEvent.js"

/**
 * @since 0.1.0
 */
export * as SharedCondition from "./SharedCondition.js"

/**
 * @since 0.1.0
 */
export * as SharedLock from "./SharedLock.js"

/**
 * @since 0.1.0
 */
export * as SharedQueue from "./SharedQueue.js"

/**
 * @since 0.1.0
 */
export * as SharedSemaphore from "./SharedSemaphore.js"

/**
 * @since 0.1.0
 */
export * as SharedValue from "./SharedValue.js"
