import * as Snowflake from "@effect/cluster/Snowflake"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { TABLE_PREFIX } from "./config.js"
import { JobEntity } from "./protocol.js"

/**
 * Deletes the processed jobs (and their replies) older than `retention`: the engine never prunes them. Message
 * ids are snowflakes, so their age is in their high bits. A job resubmitted after its record is gone runs again.
 */
export const prune = (retention: Duration.DurationInput) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const messages = sql(`${TABLE_PREFIX}_messages`)
    const replies = sql(`${TABLE_PREFIX}_replies`)
    const cutoffMillis = Date.now() - Duration.toMillis(retention) - Snowflake.constEpochMillis
    if (cutoffMillis <= 0) return
    const cutoff = sql.literal((BigInt(Math.floor(cutoffMillis)) << 22n).toString())
    const old = sql`${messages}.processed = ${sql.literal("TRUE")} AND ${messages}.entity_type = ${JobEntity.type} AND ${messages}.id < ${cutoff}`
    yield* sql`DELETE FROM ${replies} WHERE request_id IN (SELECT id FROM ${messages} WHERE ${old})`
    yield* sql`DELETE FROM ${messages} WHERE ${old}`
  })

/** Prunes now and then (every quarter of the retention, between 1 second and 10 minutes), forever. */
export const pruneForever = (retention: Duration.DurationInput) => {
  const quarter = Duration.toMillis(retention) / 4
  const every = Duration.millis(Math.min(Math.max(quarter, 1_000), 600_000))
  return prune(retention).pipe(
    Effect.catchAllCause((cause) => Effect.logDebug("could not prune processed jobs", cause)),
    Effect.repeat(Schedule.spaced(every))
  )
}
