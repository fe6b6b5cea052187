import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type { RunnerAddress } from "@effect/cluster/RunnerAddress"

import type { Timings } from "../../Cluster.js"

export const defaultTimings = {
  shardLockRefreshInterval: Duration.seconds(2),
  shardLockExpiration: Duration.seconds(6),
  runnerHealthCheckInterval: Duration.seconds(2),
  refreshAssignmentsInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.seconds(2),
  entityReplyPollInterval: Duration.millis(200),
  entityTerminationTimeout: Duration.seconds(30)
} satisfies Required<{ [K in keyof Timings]: Duration.Duration }>

export const DEFAULT_SHARDS = 64
export const TABLE_PREFIX = "effect_parallel"

/**
 * Why these options cannot make a working node, or undefined: a shard count or weight that is not a positive
 * integer, a timing that is not a finite positive duration, or shard locks that expire before they are refreshed
 * (live runners would then lose their shards, and their jobs run twice).
 */
export const invalidOptions = (options: {
  readonly shardsPerGroup?: number | undefined
  readonly weight?: number | undefined
  readonly timings?: Timings | undefined
}): string | undefined => {
  const positiveInteger = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n > 0)
  if (!positiveInteger(options.shardsPerGroup)) {
    return `shardsPerGroup must be a positive integer, got ${options.shardsPerGroup}`
  }
  if (!positiveInteger(options.weight)) return `workers must be a positive integer, got ${options.weight}`
  const millis: Record<string, number> = {}
  for (const [key, fallback] of Object.entries(defaultTimings)) {
    const value = (options.timings as Record<string, Duration.DurationInput | undefined> | undefined)?.[key]
    const decoded = value === undefined ? Option.some(fallback) : Duration.decodeUnknown(value)
    const ms = Option.isSome(decoded) ? Duration.toMillis(decoded.value) : Number.NaN
    if (!(Number.isFinite(ms) && ms > 0)) return `timings.${key} must be a finite positive duration, got ${String(value)}`
    millis[key] = ms
  }
  if (millis["shardLockExpiration"]! <= millis["shardLockRefreshInterval"]!) {
    return `timings.shardLockExpiration (${millis["shardLockExpiration"]} ms) must be longer than shardLockRefreshInterval (${
      millis["shardLockRefreshInterval"]
    } ms)`
  }
  return undefined
}

/** The settings every node of a cluster must share, checked against storage when a node starts. */
export const settingsOf = (shardsPerGroup: number | undefined): Record<string, string> => ({
  shardsPerGroup: String(shardsPerGroup ?? DEFAULT_SHARDS)
})

export const layerConfig = (options: {
  readonly runnerAddress: Option.Option<RunnerAddress>
  readonly runnerListenAddress?: Option.Option<RunnerAddress> | undefined
  readonly weight?: number | undefined
  readonly shardsPerGroup?: number | undefined
  readonly timings?: Timings | undefined
}) => {
  const timings: Record<string, Duration.DurationInput> = { ...defaultTimings }
  for (const [key, value] of Object.entries(options.timings ?? {})) if (value !== undefined) timings[key] = value
  return ShardingConfig.layer({
    ...timings,
    runnerAddress: options.runnerAddress,
    ...(options.runnerListenAddress !== undefined ? { runnerListenAddress: options.runnerListenAddress } : {}),
    runnerShardWeight: options.weight ?? 1,
    shardsPerGroup: options.shardsPerGroup ?? DEFAULT_SHARDS,
    entityMaxIdleTime: Duration.seconds(10),
    // Shard locks are rows that expire (after shardLockExpiration), on Postgres too: its session advisory locks
    // would outlive a runner whose machine died until the server noticed the dead connection (hours by default).
    shardLockDisableAdvisory: true
  })
}
