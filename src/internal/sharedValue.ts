import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Kind, ValueOf } from "../SharedArray.js"
import type * as api from "../SharedValue.js"
import * as shared from "./shared.js"
import { Cells } from "./sharedCells.js"

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedValue") as api.TypeId

interface Impl<K extends Kind> extends api.SharedValue<K> {
  readonly cells: Cells<K>
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Impl<Kind>) {
    const value = this.cells.load(0)
    return { _id: "SharedValue", kind: this.kind, value: typeof value === "bigint" ? `${value}n` : value }
  }
}

export const isSharedValue: (u: unknown) => u is api.SharedValue<Kind> = shared.isRecordWith(TypeId) as any

const fromCells = <K extends Kind>(cells: Cells<K>): api.SharedValue<K> => {
  const self = Object.create(Proto)
  self.cells = cells
  self.kind = cells.kind
  self.buffer = cells.buffer
  self.byteOffset = cells.byteOffset
  return self
}

export const unsafeMake = <K extends Kind>(kind: K, initial?: ValueOf<K>): api.SharedValue<K> => {
  const cells = Cells.alloc(kind, 1)
  if (initial !== undefined) cells.store(0, initial)
  return fromCells(cells)
}

export const make = <K extends Kind>(kind: K, initial?: ValueOf<K>): Effect.Effect<api.SharedValue<K>> =>
  Effect.sync(() => unsafeMake(kind, initial))

const cellsOf = <K extends Kind>(self: api.SharedValue<K>): Cells<K> => (self as Impl<K>).cells

export const get = <K extends Kind>(self: api.SharedValue<K>) => Effect.sync(() => cellsOf(self).load(0))

export const set = <K extends Kind>(self: api.SharedValue<K>, value: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).store(0, value))

export const exchange = <K extends Kind>(self: api.SharedValue<K>, value: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).exchange(0, value))

export const compareExchange = <K extends Kind>(
  self: api.SharedValue<K>,
  expected: ValueOf<K>,
  replacement: ValueOf<K>
) => Effect.sync(() => cellsOf(self).compareExchange(0, expected, replacement))

export const add = <K extends Kind>(self: api.SharedValue<K>, delta: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).add(0, delta))

export const sub = <K extends Kind>(self: api.SharedValue<K>, delta: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).sub(0, delta))

export const and = <K extends Kind>(self: api.SharedValue<K>, mask: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).and(0, mask))

export const or = <K extends Kind>(self: api.SharedValue<K>, mask: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).or(0, mask))

export const xor = <K extends Kind>(self: api.SharedValue<K>, mask: ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).xor(0, mask))

export const update = <K extends Kind>(self: api.SharedValue<K>, f: (value: ValueOf<K>) => ValueOf<K>) =>
  Effect.sync(() => void cellsOf(self).getAndUpdate(0, f))

export const updateAndGet = <K extends Kind>(self: api.SharedValue<K>, f: (value: ValueOf<K>) => ValueOf<K>) =>
  Effect.sync(() => cellsOf(self).updateAndGet(0, f))

const schemas = shared.memoized((kind: Kind): Schema.Schema<any, any> => makeSchema(kind))

export const schema = <K extends Kind>(kind: K): Schema.Schema<api.SharedValue<K>, api.SharedValue.Encoded<K>> =>
  schemas(kind) as Schema.Schema<api.SharedValue<K>, api.SharedValue.Encoded<K>>

const makeSchema = <K extends Kind>(kind: K): Schema.Schema<api.SharedValue<K>, api.SharedValue.Encoded<K>> =>
  shared.handleSchema({
    identifier: `SharedValue<${kind}>`,
    encoded: Schema.Struct({
      kind: Schema.Literal(kind) as unknown as Schema.Schema<K>,
      buffer: shared.SharedArrayBufferFromSelf,
      byteOffset: Schema.Number
    }),
    is: (u): u is api.SharedValue<K> => isSharedValue(u) && u.kind === kind,
    toEncoded: (self) => ({ kind, buffer: self.buffer, byteOffset: self.byteOffset }),
    fromEncoded: ({ buffer, byteOffset }) =>
      Cells.invalid(kind, buffer, byteOffset, 1) ?? fromCells(new Cells(kind, buffer, byteOffset, 1))
  })
