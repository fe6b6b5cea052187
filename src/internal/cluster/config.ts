import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Duration from "effect/Duration"
import type * as Option from "effect/Option"
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
    entityMaxIdleTime: Duration.seconds(10)
  })
}
