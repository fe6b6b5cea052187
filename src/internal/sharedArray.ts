import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as api from "../SharedArray.js"
import * as shared from "./shared.js"
import { Cells } from "./sharedCells.js"

type Kind = api.Kind
type ValueOf<K extends Kind> = api.ValueOf<K>

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedArray") as api.TypeId

interface Impl<K extends Kind> extends api.SharedArray<K> {
  readonly cells: Cells<K>
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Impl<Kind>) {
    const values = this.length <= 16 ? this.cells.toArray().map(String) : "..."
    return { _id: "SharedArray", kind: this.kind, length: this.length, values }
  }
}

export const isSharedArray: (u: unknown) => u is api.SharedArray<Kind> = shared.isRecordWith(TypeId) as any

const fromCells = <K extends Kind>(cells: Cells<K>): api.SharedArray<K> => {
  const self = Object.create(Proto)
  self.cells = cells
  self.kind = cells.kind
  self.buffer = cells.buffer
  self.byteOffset = cells.byteOffset
  self.length = cells.length
  return self
}

export const unsafeMake = <K extends Kind>(kind: K, length: number): api.SharedArray<K> =>
  fromCells(Cells.alloc(kind, length))

export const make = <K extends Kind>(kind: K, length: number): Effect.Effect<api.SharedArray<K>> =>
  Effect.sync(() => unsafeMake(kind, length))

export const unsafeFromIterable = <K extends Kind>(kind: K, values: Iterable<ValueOf<K>>): api.SharedArray<K> => {
  const array = Array.from(values)
  const cells = Cells.alloc(kind, array.length)
  for (let i = 0; i < array.length; i++) cells.store(i, array[i]!)
  return fromCells(cells)
}

export const fromIterable = <K extends Kind>(kind: K, values: Iterable<ValueOf<K>>): Effect.Effect<api.SharedArray<K>> =>
  Effect.sync(() => unsafeFromIterable(kind, values))

const cellsOf = <K extends Kind>(self: api.SharedArray<K>): Cells<K> => (self as Impl<K>).cells

const at = <K extends Kind, A>(self: api.SharedArray<K>, index: number, f: (cells: Cells<K>) => A): Effect.Effect<A> =>
  Effect.sync(() => {
    const cells = cellsOf(self)
    cells.check(index)
    return f(cells)
  })

export const get = <K extends Kind>(self: api.SharedArray<K>, index: number) =>
  at(self, index, (cells) => cells.load(index))

export const set = <K extends Kind>(self: api.SharedArray<K>, index: number, value: ValueOf<K>) =>
  at(self, index, (cells) => cells.store(index, value))

export const exchange = <K extends Kind>(self: api.SharedArray<K>, index: number, value: ValueOf<K>) =>
  at(self, index, (cells) => cells.exchange(index, value))

export const compareExchange = <K extends Kind>(
  self: api.SharedArray<K>,
  index: number,
  expected: ValueOf<K>,
  replacement: ValueOf<K>
) => at(self, index, (cells) => cells.compareExchange(index, expected, replacement))

export const add = <K extends Kind>(self: api.SharedArray<K>, index: number, delta: ValueOf<K>) =>
  at(self, index, (cells) => cells.add(index, delta))

export const sub = <K extends Kind>(self: api.SharedArray<K>, index: number, delta: ValueOf<K>) =>
  at(self, index, (cells) => cells.sub(index, delta))

export const and = <K extends Kind>(self: api.SharedArray<K>, index: number, mask: ValueOf<K>) =>
  at(self, index, (cells) => cells.and(index, mask))

export const or = <K extends Kind>(self: api.SharedArray<K>, index: number, mask: ValueOf<K>) =>
  at(self, index, (cells) => cells.or(index, mask))

export const xor = <K extends Kind>(self: api.SharedArray<K>, index: number, mask: ValueOf<K>) =>
  at(self, index, (cells) => cells.xor(index, mask))

export const update = <K extends Kind>(
  self: api.SharedArray<K>,
  index: number,
  f: (value: ValueOf<K>) => ValueOf<K>
) => at(self, index, (cells) => void cells.getAndUpdate(index, f))

export const updateAndGet = <K extends Kind>(
  self: api.SharedArray<K>,
  index: number,
  f: (value: ValueOf<K>) => ValueOf<K>
) => at(self, index, (cells) => cells.updateAndGet(index, f))

export const toArray = <K extends Kind>(self: api.SharedArray<K>): Effect.Effect<Array<ValueOf<K>>> =>
  Effect.sync(() => cellsOf(self).toArray())

export const unsafeView = <K extends Kind>(self: api.SharedArray<K>): api.TypedArrayOf<K> =>
  cellsOf(self).view as api.TypedArrayOf<K>

const schemas = shared.memoized((kind: Kind): Schema.Schema<any, any> => makeSchema(kind))

export const schema = <K extends Kind>(kind: K): Schema.Schema<api.SharedArray<K>, api.SharedArray.Encoded<K>> =>
  schemas(kind) as Schema.Schema<api.SharedArray<K>, api.SharedArray.Encoded<K>>

const makeSchema = <K extends Kind>(kind: K): Schema.Schema<api.SharedArray<K>, api.SharedArray.Encoded<K>> =>
  shared.handleSchema({
    identifier: `SharedArray<${kind}>`,
    encoded: Schema.Struct({
      kind: Schema.Literal(kind) as unknown as Schema.Schema<K>,
      buffer: shared.SharedArrayBufferFromSelf,
      byteOffset: Schema.Number,
      length: Schema.Number
    }),
    is: (u): u is api.SharedArray<K> => isSharedArray(u) && u.kind === kind,
    toEncoded: (self) => ({ kind, buffer: self.buffer, byteOffset: self.byteOffset, length: self.length }),
    fromEncoded: ({ buffer, byteOffset, length }) =>
      Cells.invalid(kind, buffer, byteOffset, length) ?? fromCells(new Cells(kind, buffer, byteOffset, length))
  })
