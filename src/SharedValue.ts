/**
 * A typed number in shared memory: multiprocessing's `Value` for worker
 * threads.
 *
 * A `SharedValue` is one numeric cell (any `SharedArray.Kind`: `int32`,
 * `uint32`, `float64`, `bigint64`, ...) in a `SharedArrayBuffer`. The main
 * program and tasks on every worker thread read and write the same cell:
 * nothing is copied when it is handed to a task (declare the payload field
 * with `SharedValue.schema(kind)`).
 *
 * Every operation is atomic, for float kinds too: `get` and `set` never see a
 * half-written value, and `add`, `sub`, `exchange`, `compareExchange` and
 * `update` are indivisible read-modify-writes, so counters need no lock.
 * Unlike multiprocessing's `Value`, there is no built-in lock: a read followed
 * by a separate write (`get` then `set`) is two operations, so guard
 * multi-step updates with a `SharedLock` or use `update`. Bitwise `and`, `or`,
 * `xor` exist for integer kinds only. Values are converted as the element type
 * converts them (see `SharedArray`).
 *
 * Gotcha: child processes cannot share memory; see `SharedLock`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { SharedValue, Task } from "effect-parallel"
 *
 * export class Count extends Task.Class<Count>()("Count", {
 *   payload: { counter: SharedValue.schema("int32"), times: Schema.Number },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * // in the worker module: no lock needed for an atomic add
 * const count = ({ counter, times }: Count) => Effect.repeatN(SharedValue.add(counter, 1), times - 1)
 * ```
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as internal from "./internal/sharedValue.js"
import type { IntegerKind, Kind, KindOf, ValueOf } from "./SharedArray.js"

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
 * A number of kind `K` in shared memory. Every handle over the same memory,
 * in any thread, is the same value.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharedValue<out K extends Kind> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  readonly kind: K
  /** The shared memory the value lives in. */
  readonly buffer: SharedArrayBuffer
  /** Where the value is in `buffer`, in bytes. */
  readonly byteOffset: number
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace SharedValue {
  /**
   * How a value crosses into a worker thread: its memory and where in it the
   * value is.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Encoded<K extends Kind> {
    readonly kind: K
    readonly buffer: SharedArrayBuffer
    readonly byteOffset: number
  }
}

/**
 * Makes a value, zero unless `initial` is given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <K extends Kind>(kind: K, initial?: ValueOf<K>) => Effect.Effect<SharedValue<K>> = internal.make

/**
 * Makes a value outside of an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: <K extends Kind>(kind: K, initial?: ValueOf<K>) => SharedValue<K> = internal.unsafeMake

/**
 * The Schema of a value of `kind` as a task payload field (or a task's
 * result): it crosses into worker threads as its `SharedArrayBuffer` and
 * decodes into a handle over the same memory; a value of another kind fails
 * to encode.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: <K extends Kind>(kind: K) => Schema.Schema<SharedValue<K>, SharedValue.Encoded<K>> =
  internal.schema

/**
 * @since 0.1.0
 * @category guards
 */
export const isSharedValue: (u: unknown) => u is SharedValue<Kind> = internal.isSharedValue

/**
 * Reads the value.
 *
 * @since 0.1.0
 * @category getters
 */
export const get: <K extends Kind>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>> = internal.get

/**
 * Writes the value.
 *
 * @since 0.1.0
 * @category combinators
 */
export const set: {
  <V extends number | bigint>(value: V): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<void>
  <K extends Kind>(self: SharedValue<K>, value: ValueOf<K>): Effect.Effect<void>
} = dual(2, internal.set)

/**
 * Writes the value and returns the value it replaced.
 *
 * @since 0.1.0
 * @category combinators
 */
export const exchange: {
  <V extends number | bigint>(value: V): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedValue<K>, value: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.exchange)

/**
 * Writes `replacement` if the value is `expected`, and returns the value it
 * held before (equal to `expected` when the write happened). Float values are
 * compared by their bits: `NaN` matches a `NaN` with the same bits, and `0`
 * does not match `-0`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const compareExchange: {
  <V extends number | bigint>(
    expected: V,
    replacement: V
  ): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedValue<K>, expected: ValueOf<K>, replacement: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(3, internal.compareExchange)

/**
 * Adds `delta` and returns the value before (as `Atomics.add`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const add: {
  <V extends number | bigint>(delta: V): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedValue<K>, delta: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.add)

/**
 * Subtracts `delta` and returns the value before (as `Atomics.sub`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const sub: {
  <V extends number | bigint>(delta: V): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedValue<K>, delta: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.sub)

/**
 * Bitwise-ands the value with `mask`; returns the value before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const and: {
  <V extends number | bigint>(
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedValue<K>, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.and)

/**
 * Bitwise-ors the value with `mask`; returns the value before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const or: {
  <V extends number | bigint>(
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedValue<K>, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.or)

/**
 * Bitwise-xors the value with `mask`; returns the value before.
 *
 * @since 0.1.0
 * @category combinators
 */
export const xor: {
  <V extends number | bigint>(
    mask: V
  ): <K extends KindOf<V> & IntegerKind>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends IntegerKind>(self: SharedValue<K>, mask: ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.xor)

/**
 * Replaces the value with `f` of it, atomically: if another thread writes in
 * between, `f` runs again on the new value, so keep `f` pure.
 *
 * @since 0.1.0
 * @category combinators
 */
export const update: {
  <V extends number | bigint>(f: (value: V) => V): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<void>
  <K extends Kind>(self: SharedValue<K>, f: (value: ValueOf<K>) => ValueOf<K>): Effect.Effect<void>
} = dual(2, internal.update)

/**
 * `update`, returning the new value as stored (after the element type's
 * conversion).
 *
 * @since 0.1.0
 * @category combinators
 */
export const updateAndGet: {
  <V extends number | bigint>(
    f: (value: V) => V
  ): <K extends KindOf<V>>(self: SharedValue<K>) => Effect.Effect<ValueOf<K>>
  <K extends Kind>(self: SharedValue<K>, f: (value: ValueOf<K>) => ValueOf<K>): Effect.Effect<ValueOf<K>>
} = dual(2, internal.updateAndGet)
