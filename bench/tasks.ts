/**
 * effect-parallel's tasks for the benchmark, shared by the main side
 * (libs/effect-parallel.ts) and the worker module (workers/effect-worker.ts).
 * Subpath imports, so that neither side loads the whole `effect` barrel.
 */
import * as Schema from "effect/Schema"
import * as Task from "../src/Task.js"

/** The tiny task: x + 1. */
export class Inc extends Task.Class<Inc>()("Inc", {
  payload: { x: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** The CPU-bound task: `iterations` rounds of work/spin. */
export class Spin extends Task.Class<Spin>()("Spin", {
  payload: { iterations: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/**
 * The buffer task: a Float64Array as a Schema field, sent back, cloned both ways
 * (EchoTransfer below moves it instead). A 1 MiB one crosses to and from a
 * thread as a copy that is moved, not structured-cloned (see README).
 */
export class Echo extends Task.Class<Echo>()("Echo", {
  payload: { array: Schema.instanceOf(Float64Array) },
  success: Schema.instanceOf(Float64Array),
  failure: Schema.Never
}) {}

/** A Float64Array that moves to and from worker threads (`Task.transferable`). */
const Moved = Task.transferable(Schema.instanceOf(Float64Array), (array) => [array.buffer])

/** Like Echo, with the buffer moved both ways: declared by the Schema of the field and the result. */
export class EchoTransfer extends Task.Class<EchoTransfer>()("EchoTransfer", {
  payload: { array: Moved },
  success: Moved,
  failure: Schema.Never
}) {}
