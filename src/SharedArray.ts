/**
 * Typed numeric arrays in shared memory: multiprocessing's `Array` (and
 * `shared_memory`) for worker threads.
 *
 * A `SharedArray` is a fixed-length array of one numeric element type over a
 * `SharedArrayBuffer`. The main program and tasks on every worker thread see
 * the same elements: nothing is copied when the array is handed to a task
 * (declare the payload field with `SharedArray.schema(kind)`).
 *
 * Every operation on one element is atomic: `get` and `set` never see or
 * leave a half-written element, and `add`, `sub`, `exchange`,
 * `compareExchange` and `update` are indivisible read-modify-writes, for
 * float elements too (their bits are operated on with compare-and-swap).
 * Nothing is atomic across elements: guard multi-element invariants with a
 * `SharedLock`. Bitwise `and`, `or`, `xor` exist for integer kinds only.
 *
 * Values are converted as the element type converts them: integer kinds wrap
 * (an int8 set to 200 holds -56) and truncate fractions, float32 rounds,
 * 64-bit integer kinds hold `bigint`s. An index out of bounds is a defect
 * (`RangeError`).
 *
 * Gotcha: child processes cannot share memory; see `SharedLock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SharedArray } from "effect-parallel"
 *
 * const program = Effect.gen(function*() {
 *   const histogram = yield* SharedArray.make("uint32", 256)
 *   // hand `histogram` to tasks; each counts with:
 *   yield* SharedArray.add(histogram, 42, 1)
 *   return yield* SharedArray.toArray(histogram)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/sharedArray.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The element types, named after their typed arrays (`int32` is
 * `Int32Array`, `biguint64` is `BigUint64Array`).
 *
 * @since 0.1.0
 * @category models
 */
export type Kind =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "bigint64"
  | "biguint64"
  | "float32"
  | "float64"

/**
 * @since 0.1.0
 * @category models
 */
export type FloatKind = "float32" | "float64"

/**
 * The kinds with bitwise operations.
 *
 * @since 0.1.0
 * @category models
 */
export type IntegerKind = Exclude<Kind, FloatKind>

/**
 * The kinds whose values are `bigint`s.
 *
 * @since 0.1.0
 * @category models
 */
export type BigIntKind = "bigint64" | "biguint64"

/**
 * The JavaScript type of an element of kind `K`.
 *
 * @since 0.1.0
 * @category models
 */
export type ValueOf<K extends Kind> = K extends BigIntKind ? bigint : number

/**
 * The kinds that hold values of type `V`.
 *
 * @since 0.1.0
 * @category models
 */
export type KindOf<V extends number | bigint> = V extends bigint ? BigIntKind : Exclude<Kind, BigIntKind>

/**
 * The typed array of kind `K`.
 *
 * @since 0.1.0
 * @category models
 */
export type TypedArrayOf<K extends Kind> = {
  int8: Int8Array
  uint8: Uint8Array
  int16: Int16Array
  uint16: Uint16Array
  int32: Int32Array
  uint32: Uint32Array
  bigint64: BigInt64Array
  biguint64: BigUint64Array
  float32: Float32Array
  float64: Float64Array
}[K]

/**
 * A fixed-length array of `K` elements in shared memory. Every handle over
 * the same memory, in any thread, is the same array.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedArray<out K extends Kind> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  readonly kind: K
  /** The shared memory the elements live in. */
  readonly buffer: SharedArrayBuffer
  /** Where the elements start in `buffer`, in bytes. */
  readonly byteOffset: number
  /** The number of elements. */
  readonly length: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedArray {
  /**
   * How an array crosses into a worker thread: its memory and where in it the
   * elements are.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded<K extends Kind> {
    readonly kind: K
    readonly buffer: SharedArrayBuffer
    readonly byteOffset: number
    readonly length: number
  }
}

/**
 * Makes an array of `length` zeros (a bad length is a defect).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <K extends Kind>(kind: K, length: number) => Effect.Effect<SharedArray<K>> = internal.make

/**
 * Makes an array of `length` zeros, outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: <K extends Kind>(kind: K, length: number) => SharedArray<K> = internal.unsafeMake

/**
 * Makes an array holding `values`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIterable: <K extends Kind>(kind: K, values: Iterable<ValueOf<K>>) => Effect.Effect<SharedArray<K>> =
  internal.fromIterable

/**
 * Makes an array holding `values`, outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeFromIterable: <K extends Kind>(kind: K, values: Iterable<ValueOf<K>>) => SharedArray<K> =
  internal.unsafeFromIterable

/**
 * The Schema of an array of `kind` as a task payload field (or a task's
 * result): it crosses into worker threads as its `SharedArrayBuffer` and
 * decodes into a handle over the same memory; an array of another kind fails
 * to encode.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: <K extends Kind>(kind: K) => Schema.Schema<SharedArray<K>, SharedArray.Encoded<K>> =
  internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedArray: (u: unknown) => u is SharedArray<Kind> = internal.isSharedArray

/**
 * Reads element `index`.
 *
 * @since 0.1.0
 * @category getters
 */
export const get: {
  (index: number): <K extends Kind>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedArray<K>, index: number): Effect.Effect<ValueOf<K>>
} = dual(2, internal.get)

/**
 * Writes element `index`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const set: {
  <V extends number | bigint>(index: number, value: V): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<void>
  <K extends Kind>(self: SharedArray<K>, index: number, value: ValueOf<K>): Effect.Effect<void>
} = dual(3, internal.set)

/**
 * Writes element `index` and returns the value it held before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const exchange: {
  <V extends number | bigint>(
    index: number,
    value: V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedArray<K>, index: number, value: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.exchange)

/**
 * Writes `replacement` to element `index` if it holds `expected`, and returns
 * the value it held before (equal to `expected` when the write happened).
 * Float elements are compared by their bits: `NaN` matches a `NaN` with the
 * same bits, and `0` does not match `-0`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const compareExchange: {
  <V extends number | bigint>(
    index: number,
    expected: V,
    replacement: V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(
    self: SharedArray<K>,
    index: number,
    expected: ValueOf<K>,
    replacement: ValueOf<K>
  ): Effect.Effect<ValueOf<K>>
} = dual(4, internal.compareExchange)

/**
 * Adds `delta` to element `index` and returns the value it held before (as
 * `Atomics.add`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const add: {
  <V extends number | bigint>(
    index: number,
    delta: V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedArray<K>, index: number, delta: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.add)

/**
 * Subtracts `delta` from element `index` and returns the value it held
 * before (as `Atomics.sub`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const sub: {
  <V extends number | bigint>(
    index: number,
    delta: V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedArray<K>, index: number, delta: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.sub)

/**
 * Bitwise-ands element `index` with `mask`; returns the value it held before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const and: {
  <V extends number | bigint>(
    index: number,
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedArray<K>, index: number, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.and)

/**
 * Bitwise-ors element `index` with `mask`; returns the value it held before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const or: {
  <V extends number | bigint>(
    index: number,
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedArray<K>, index: number, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.or)

/**
 * Bitwise-xors element `index` with `mask`; returns the value it held before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const xor: {
  <V extends number | bigint>(
    index: number,
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedArray<K>, index: number, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.xor)

/**
 * Replaces element `index` with `f` of its value, atomically: if another
 * thread writes in between, `f` runs again on the new value, so keep `f` pure.
 *
 * @since 0.1.0
 * @category combinators
 */
export const update: {
  <V extends number | bigint>(
    index: number,
    f: (value: V) => V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<void>
  <K extends Kind>(self: SharedArray<K>, index: number, f: (value: ValueOf<K>) => ValueOf<K>): Effect.Effect<void>
} = dual(3, internal.update)

/**
 * `update`, returning the new value as stored (after the element type's
 * conversion).
 *
 * @since 0.1.0
 * @category combinators
 */
export const updateAndGet: {
  <V extends number | bigint>(
    index: number,
    f: (value: V) => V
  ): <K extends KindOf<V>>(self: SharedArray<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(
    self: SharedArray<K>,
    index: number,
    f: (value: ValueOf<K>) => ValueOf<K>
  ): Effect.Effect<ValueOf<K>>
} = dual(3, internal.updateAndGet)

/**
 * A copy of the elements, each read atomically (the copy as a whole is not a
 * snapshot: other threads may write while it is taken).
 *
 * @since 0.1.0
 * @category getters
 */
export const toArray: <K extends Kind>(self: SharedArray<K>) => Effect.Effect<Array<ValueOf<K>>> = internal.toArray

/**
 * The elements as a typed array over the shared memory, for hot loops and
 * bulk operations. Plain reads and writes through it are not atomic (a
 * concurrent writer can be missed, or a float can tear); pair it with a
 * `SharedLock`, or with a `SharedBarrier` that separates writing and reading
 * phases.
 *
 * @since 0.1.0
 * @category getters
 */
export const unsafeView: <K extends Kind>(self: SharedArray<K>) => TypedArrayOf<K> = internal.unsafeView
