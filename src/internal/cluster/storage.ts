import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import { ClusterError } from "../../ClusterError.js"

export type StorageSpec =
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

export const parseStorage = (spec: string): Effect.Effect<StorageSpec, ClusterError> => {
  if (/^postgres(ql)?:\/\//.test(spec)) {
    return Effect.succeed({ _tag: "Postgres", url: Redacted.make(spec) })
  }
  const filename = spec.startsWith("sqlite://") ? spec.slice("sqlite://".length) : spec.startsWith("sqlite:") ? spec.slice("sqlite:".length) : spec
  if (filename === "" || spec.includes("://") && !spec.startsWith("sqlite://")) {
    return Effect.fail(new ClusterError({ reason: `unknown storage '${spec}': use sqlite:PATH or postgres://...` }))
  }
  return Effect.succeed({ _tag: "Sqlite", filename: path.resolve(filename) })
}

export const describeStorage = (spec: StorageSpec): string =>
  spec._tag === "Sqlite" ? `sqlite:${spec.filename}` : `postgres://${new URL(Redacted.value(spec.url)).host}`

/** The SQL client of a storage: a SQLite file (WAL, shared by the processes of one host) or Postgres. */
export const layerSql = (spec: string): Layer.Layer<SqlClient.SqlClient, ClusterError> =>
  Layer.unwrapEffect(Effect.map(parseStorage(spec), (parsed) => {
    const sql: Layer.Layer<SqlClient.SqlClient, { readonly message: string }> = parsed._tag === "Sqlite"
      ? SqliteClient.layer({ filename: parsed.filename })
      : PgClient.layer({ url: parsed.url })
    return Layer.mapError(sql, (error) => new ClusterError({ reason: `storage ${describeStorage(parsed)}: ${error.message}` }))
  }))
