import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as v8 from "node:v8"
import { DecodeError, EncodeError, PoolClosed, SpawnError, TaskTimeout, WorkerCrashed } from "../../Errors.js"
import type * as Task from "../../Task.js"
import { ClusterAuthError } from "../../ClusterError.js"

/** The reply of a job: which node ran it, for how long, its exit (v8-serialized, base64), and the node's MAC. */
export const JobReply = Schema.Struct({
  node: Schema.String,
  millis: Schema.Number,
  exit: Schema.String,
  mac: Schema.String
})
export type JobReply = typeof JobReply.Type

/**
 * One entity per job (the entity id is the job id), so jobs spread over every shard and runner. The job is
 * persisted with its id as primary key: it survives its runner dying, and a resubmit of the same id is
 * answered from storage instead of running again.
 */
export const JobEntity = Entity.make("effect-parallel/Job", [
  Rpc.make("Run", {
    payload: {
      id: Schema.String,
      tag: Schema.String,
      task: Schema.String,
      mac: Schema.String
    },
    success: JobReply,
    error: ClusterAuthError,
    primaryKey: ({ id }) => id
  })
]).annotateRpcs(ClusterSchema.Persisted, true)

const WorkerPoolErrorSchema = Schema.Union(WorkerCrashed, SpawnError, EncodeError, DecodeError, TaskTimeout, PoolClosed)

const exitSchemas = new WeakMap<object, Schema.Schema<Exit.Exit<any, any>, any>>()

/** The Schema of a task's exit: its success, its declared failure or an infrastructure error, or a defect. */
export const exitSchema = (taskClass: Task.AnyClass): Schema.Schema<Exit.Exit<any, any>, any> => {
  let schema = exitSchemas.get(taskClass)
  if (schema === undefined) {
    schema = Schema.Exit({
      success: taskClass.success as Schema.Schema<any, any>,
      failure: Schema.Union(taskClass.failure as Schema.Schema<any, any>, WorkerPoolErrorSchema),
      defect: Schema.Defect
    }) as any
    exitSchemas.set(taskClass, schema!)
  }
  return schema!
}

/** Values cross the cluster as their Schema-encoded form, serialized like a structured clone (bigints, Maps, typed arrays survive). */
export const pack = (value: unknown): string => v8.serialize(value).toString("base64")
export const unpack = (data: string): unknown => v8.deserialize(Buffer.from(data, "base64"))

export const encodeTask = (task: Task.Any): Effect.Effect<string, EncodeError> =>
  Schema.encode(task.constructor as unknown as Schema.Schema<Task.Any, unknown>)(task).pipe(
    Effect.flatMap((encoded) => Effect.try(() => pack(encoded))),
    Effect.mapError((error) =>
      new EncodeError({ task: task._tag, reason: error instanceof Error ? error.message : String(error) })
    )
  )

export const decodeTask = (taskClass: Task.AnyClass, data: string): Effect.Effect<Task.Any, DecodeError> =>
  Effect.try(() => unpack(data)).pipe(
    Effect.flatMap(Schema.decodeUnknown(taskClass as unknown as Schema.Schema<Task.Any, unknown>)),
    Effect.mapError((error) =>
      new DecodeError({ task: taskClass._tag, reason: error instanceof Error ? error.message : String(error) })
    )
  )

export const encodeExit = (taskClass: Task.AnyClass, exit: Exit.Exit<unknown, unknown>): Effect.Effect<string> =>
  Schema.encode(exitSchema(taskClass))(exit).pipe(
    Effect.flatMap((encoded) => Effect.try(() => pack(encoded))),
    Effect.catchAll((error) =>
      Schema.encode(exitSchema(taskClass))(
        { _tag: "Failure", cause: { _tag: "Fail", error: new DecodeError({ task: taskClass._tag, reason: `could not encode the result: ${error instanceof Error ? error.message : String(error)}` }) } } as any
      ).pipe(Effect.map(pack), Effect.orDie)
    )
  )

export const decodeExit = (
  taskClass: Task.AnyClass,
  data: string
): Effect.Effect<Exit.Exit<unknown, unknown>, DecodeError> =>
  Effect.try(() => unpack(data)).pipe(
    Effect.flatMap(Schema.decodeUnknown(exitSchema(taskClass))),
    Effect.mapError((error) =>
      new DecodeError({ task: taskClass._tag, reason: `could not decode the result: ${error instanceof Error ? error.message : String(error)}` })
    )
  )
