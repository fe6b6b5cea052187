/**
 * The same tasks for @effect/platform's own pool (Worker.makePoolSerialized):
 * Schema.TaggedRequest classes in one union, plus a variant of Echo whose
 * Float64Array is marked Transferable (moved, not copied, both ways).
 */
import * as Transferable from "@effect/platform/Transferable"
import * as Schema from "effect/Schema"

export class Inc extends Schema.TaggedRequest<Inc>()("Inc", {
  payload: { x: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export class Spin extends Schema.TaggedRequest<Spin>()("Spin", {
  payload: { iterations: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export class Echo extends Schema.TaggedRequest<Echo>()("Echo", {
  payload: { array: Schema.instanceOf(Float64Array) },
  success: Schema.instanceOf(Float64Array),
  failure: Schema.Never
}) {}

const TransferredArray = Transferable.schema(Schema.instanceOf(Float64Array), (array) => [array.buffer])

export class EchoTransfer extends Schema.TaggedRequest<EchoTransfer>()("EchoTransfer", {
  payload: { array: TransferredArray },
  success: TransferredArray,
  failure: Schema.Never
}) {}

export const Request = Schema.Union(Inc, Spin, Echo, EchoTransfer)
export type Request = typeof Request.Type
