import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { NodeWorkerPool, Parallel, SharedValue, TestWorkerPool } from "../src/index.js"
import { fixture } from "./helpers.js"
import { AtomicIncrement, FloatAdd, MakeCounter } from "./fixtures/shared-tasks.js"
import SharedWorker from "./fixtures/shared-worker.js"

const threads = (size: number) => NodeWorkerPool.layerThreads({ module: fixture("shared-worker.ts"), size })

describe("SharedValue", () => {
  describe("in one thread", () => {
    it.effect("integer kinds: get, set, add, sub, exchange, compareExchange, bitwise, update", () =>
      Effect.gen(function*() {
        const value = yield* SharedValue.make("int32", 5)
        assert.strictEqual(yield* SharedValue.get(value), 5)
        assert.strictEqual(yield* SharedValue.add(value, 3), 5)
        assert.strictEqual(yield* SharedValue.sub(value, 1), 8)
        assert.strictEqual(yield* SharedValue.exchange(value, 12), 7)
        assert.strictEqual(yield* SharedValue.compareExchange(value, 0, 1), 12)
        assert.strictEqual(yield* SharedValue.compareExchange(value, 12, 1), 12)
        assert.strictEqual(yield* SharedValue.get(value), 1)
        assert.strictEqual(yield* SharedValue.or(value, 6), 1)
        assert.strictEqual(yield* SharedValue.and(value, 5), 7)
        assert.strictEqual(yield* SharedValue.xor(value, 1), 5)
        yield* SharedValue.update(value, (n) => n * 10)
        assert.strictEqual(yield* SharedValue.get(value), 40)
        assert.strictEqual(yield* value.pipe(SharedValue.set(2 ** 31)), undefined)
        assert.strictEqual(yield* SharedValue.get(value), -(2 ** 31))
        const byte = yield* SharedValue.make("uint8")
        assert.strictEqual(yield* SharedValue.updateAndGet(byte, (n) => n - 1), 255)
        const big = yield* SharedValue.make("bigint64", 1n)
        assert.strictEqual(yield* SharedValue.add(big, 2n ** 40n), 1n)
        assert.strictEqual(yield* SharedValue.get(big), 2n ** 40n + 1n)
        assert.strictEqual(yield* SharedValue.get(yield* SharedValue.make("biguint64", -1n)), 2n ** 64n - 1n)
      }))

    it.effect("float kinds: atomic get/set and read-modify-write through their bits", () =>
      Effect.gen(function*() {
        const value = yield* SharedValue.make("float64", 0.1)
        assert.strictEqual(yield* SharedValue.add(value, 0.2), 0.1)
        assert.strictEqual(yield* SharedValue.get(value), 0.1 + 0.2)
        assert.strictEqual(yield* SharedValue.sub(value, 0.3), 0.1 + 0.2)
        assert.strictEqual(yield* SharedValue.exchange(value, NaN), 0.1 + 0.2 - 0.3)
        assert.isNaN(yield* SharedValue.compareExchange(value, NaN, 1.5))
        assert.strictEqual(yield* SharedValue.get(value), 1.5)
        assert.strictEqual(yield* SharedValue.compareExchange(value, -0, 2), 1.5)
        assert.strictEqual(yield* SharedValue.updateAndGet(value, (x) => x * 2), 3)
        const single = yield* SharedValue.make("float32", 0.1)
        assert.strictEqual(yield* SharedValue.get(single), Math.fround(0.1))
        assert.strictEqual(yield* SharedValue.updateAndGet(single, (x) => x + 1), Math.fround(Math.fround(0.1) + 1))
      }))

    it.effect("the Schema shares the memory and checks the kind", () =>
      Effect.gen(function*() {
        const value = yield* SharedValue.make("int32", 7)
        const Int32 = SharedValue.schema("int32")
        const copy = Schema.decodeSync(Int32)(structuredClone(Schema.encodeSync(Int32)(value)))
        yield* SharedValue.set(copy, 8)
        assert.strictEqual(yield* SharedValue.get(value), 8)
        const float = yield* SharedValue.make("float64")
        assert.isTrue(Either.isLeft(Schema.encodeEither(Int32)(float as never)))
        assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Int32)({ ...Schema.encodeSync(Int32)(value), kind: "float64" })))
        assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Int32)({ ...Schema.encodeSync(Int32)(value), byteOffset: 4 })))
        assert.include(String(value), "SharedValue")
      }))
  })

  describe("across worker threads", () => {
    it.live("atomic adds from 4 workers, integer and float, lose nothing", () =>
      Effect.gen(function*() {
        const counter = yield* SharedValue.make("int32")
        const total = yield* SharedValue.make("float64")
        yield* Parallel.map([0, 1, 2, 3], (i) =>
          i % 2 === 0
            ? new AtomicIncrement({ counter, times: 10_000 })
            : new FloatAdd({ total, delta: 0.5, times: 10_000 }))
        assert.strictEqual(yield* SharedValue.get(counter), 20_000)
        assert.strictEqual(yield* SharedValue.get(total), 10_000)
      }).pipe(Effect.provide(threads(4))))

    it.live("a value made in a worker comes back as a handle over the worker's memory", () =>
      Effect.gen(function*() {
        const counter = yield* Parallel.run(new MakeCounter({ value: 41 }))
        assert.isTrue(SharedValue.isSharedValue(counter))
        assert.strictEqual(yield* SharedValue.add(counter, 1), 41)
        yield* Parallel.run(new AtomicIncrement({ counter, times: 8 }))
        assert.strictEqual(yield* SharedValue.get(counter), 50)
      }).pipe(Effect.provide(threads(1))))
  })

  it.effect("the in-process TestWorkerPool shares the memory too", () =>
    Effect.gen(function*() {
      const counter = yield* SharedValue.make("int32")
      yield* Parallel.map([0, 1, 2], () => new AtomicIncrement({ counter, times: 100 }))
      assert.strictEqual(yield* SharedValue.get(counter), 300)
    }).pipe(Effect.provide(TestWorkerPool.layer(SharedWorker))))
})
