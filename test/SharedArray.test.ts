import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Exit, Schema } from "effect"
import { NodeWorkerPool, Parallel, SharedArray } from "../src/index.js"
import { fixture } from "./helpers.js"
import { Histogram } from "./fixtures/shared-tasks.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedArray", () => {
  it.effect("element operations, conversions, snapshots and the raw view", () =>
    Effect.gen(function*() {
      const array = yield* SharedArray.make("int16", 4)
      assert.strictEqual(array.length, 4)
      assert.deepStrictEqual(yield* SharedArray.toArray(array), [0, 0, 0, 0])
      yield* SharedArray.set(array, 1, 40_000)
      assert.strictEqual(yield* SharedArray.get(array, 1), 40_000 - 65_536)
      assert.strictEqual(yield* SharedArray.add(array, 2, 5), 0)
      assert.strictEqual(yield* SharedArray.sub(array, 2, 1), 5)
      assert.strictEqual(yield* SharedArray.exchange(array, 3, 9), 0)
      assert.strictEqual(yield* SharedArray.compareExchange(array, 3, 9, 10), 9)
      assert.strictEqual(yield* SharedArray.or(array, 0, 3), 0)
      assert.strictEqual(yield* SharedArray.and(array, 0, 1), 3)
      assert.strictEqual(yield* SharedArray.xor(array, 0, 1), 1)
      assert.strictEqual(yield* SharedArray.updateAndGet(array, 2, (n) => n + 0.9), 4)
      yield* array.pipe(SharedArray.update(3, (n: number) => n * 2))
      assert.strictEqual(yield* array.pipe(SharedArray.get(3)), 20)
      assert.deepStrictEqual(yield* SharedArray.toArray(array), [0, 40_000 - 65_536, 4, 20])
      assert.deepStrictEqual(Array.from(SharedArray.unsafeView(array)), [0, 40_000 - 65_536, 4, 20])
      const floats = yield* SharedArray.fromIterable("float64", [0.5, 1.5])
      assert.strictEqual(yield* SharedArray.add(floats, 1, 0.25), 1.5)
      assert.deepStrictEqual(yield* SharedArray.toArray(floats), [0.5, 1.75])
      const bigs = SharedArray.unsafeFromIterable("biguint64", [1n, 2n])
      assert.strictEqual(yield* SharedArray.add(bigs, 1, 3n), 2n)
      assert.instanceOf(SharedArray.unsafeView(bigs), BigUint64Array)
    }))

  it.effect("an index out of bounds is a defect", () =>
    Effect.gen(function*() {
      const array = yield* SharedArray.make("uint32", 2)
      const exit = yield* Effect.exit(SharedArray.get(array, 2))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "out of bounds")
      assert.isTrue(Exit.isFailure(yield* Effect.exit(SharedArray.set(array, -1, 0))))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(SharedArray.make("uint32", -1))))
    }))

  it.effect("the Schema shares the memory and checks kind and bounds", () =>
    Effect.gen(function*() {
      const array = yield* SharedArray.make("uint32", 3)
      const Uint32 = SharedArray.schema("uint32")
      const encoded = Schema.encodeSync(Uint32)(array)
      const copy = Schema.decodeSync(Uint32)(structuredClone(encoded))
      yield* SharedArray.set(copy, 2, 7)
      assert.strictEqual(yield* SharedArray.get(array, 2), 7)
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Uint32)({ ...encoded, length: 4 })))
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Uint32)({ ...encoded, kind: "int32" })))
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Uint32)({ ...encoded, buffer: new ArrayBuffer(12) })))
    }))

  it.live("4 workers count into one shared histogram without copying it", () =>
    Effect.gen(function*() {
      const counts = yield* SharedArray.make("uint32", 10)
      yield* Parallel.map([0, 1, 2, 3], () => new Histogram({ counts, times: 5_000 }))
      assert.deepStrictEqual(yield* SharedArray.toArray(counts), Array.from({ length: 10 }, () => 2_000))
    }).pipe(Effect.provide(threads(4))))
})
