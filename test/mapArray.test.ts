/**
 * `map` over an array, against a Core whose replies the test gives by hand: how many chunks it keeps in flight,
 * and that a failure or an interruption waits for the chunks it stops.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, FiberId, Option, TestServices } from "effect"
import type { Core, CoreRequest, CoreResult } from "../src/internal/core.js"
import * as Wire from "../src/internal/wire.js"
import { make } from "../src/internal/workerPool.js"
import { Fail, Oops, Square } from "./fixtures/tasks.js"

interface Sent {
  readonly request: CoreRequest
  readonly resolve: (result: CoreResult) => void
  /** Set once the map cancels it: call it to say the task has stopped. */
  stopped: (() => void) | undefined
  cancelled: boolean
}

/** A Core that only records what it is sent; the test answers. */
const fakeCore = () => {
  const sent: Array<Sent> = []
  const core = {
    size: () => 1,
    submit: (request: CoreRequest, resolve: (result: CoreResult) => void) => {
      const entry: Sent = { request, resolve, stopped: undefined, cancelled: false }
      sent.push(entry)
      return (onStopped?: () => void) => {
        entry.cancelled = true
        entry.stopped = onStopped
      }
    }
  } as unknown as Core
  return { core, sent }
}

/** A chunk's reply: the squares of its items. */
const squares = (entry: Sent): CoreResult => {
  const [length, item] = Wire.readChunk(entry.request.payload as Wire.ChunkPayload)
  const values: Array<number> = []
  for (let i = 0; i < length; i++) values.push((item(i) as { x: number }).x ** 2)
  return [values, undefined]
}

/** Lets the other fibers run until `condition` holds (at most 100 turns). */
const until = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && !condition(); i++) yield* Effect.yieldNow()
    assert.isTrue(condition())
  })

const failure = (message: string): CoreResult => [[], [Wire.EXIT_FAILURE, { _tag: "Oops", message }]]

describe("map over an array", () => {
  it.effect("keeps `concurrency` chunks in flight: each reply sends the next chunk at once", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      const pool = make(core, 1, 1)
      const fiber = yield* Effect.fork(
        pool.map([1, 2, 3, 4, 5], (x) => new Square({ x }), { chunkSize: 1, concurrency: 2 })
      )
      yield* until(() => sent.length === 2)
      sent[0]!.resolve(squares(sent[0]!))
      // sent from within the reply, before anything else runs
      assert.strictEqual(sent.length, 3)
      sent[2]!.resolve(squares(sent[2]!))
      sent[1]!.resolve(squares(sent[1]!))
      assert.strictEqual(sent.length, 5)
      sent[3]!.resolve(squares(sent[3]!))
      sent[4]!.resolve(squares(sent[4]!))
      assert.deepStrictEqual(yield* Fiber.join(fiber), [1, 4, 9, 16, 25])
    }))

  it.effect("a failure cancels the chunks in flight, sends no more, and fails once they have stopped", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      const pool = make(core, 1, 1)
      const fiber = yield* Effect.fork(
        pool.map([1, 2, 3, 4, 5], (x) => new Fail({ message: String(x) }), { chunkSize: 1, concurrency: 3 })
      )
      yield* until(() => sent.length === 3)
      sent[1]!.resolve(failure("second"))
      assert.strictEqual(sent.length, 3)
      assert.isTrue(sent[0]!.cancelled && sent[2]!.cancelled && !sent[1]!.cancelled)
      yield* Effect.yieldNow()
      assert.isNull(fiber.unsafePoll())
      sent[0]!.stopped!()
      yield* Effect.yieldNow()
      assert.isNull(fiber.unsafePoll())
      sent[2]!.stopped!()
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const error = Cause.failureOption((exit as Exit.Failure<unknown, unknown>).cause)
      assert.isTrue(error._tag === "Some" && error.value instanceof Oops && error.value.message === "second")
    }))

  it.effect("the first failure to come back is the map's: a chunk cancelled after it never answers", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      const pool = make(core, 1, 1)
      const fiber = yield* Effect.fork(
        pool.map([1, 2, 3], (x) => new Fail({ message: String(x) }), { chunkSize: 1, concurrency: 3 })
      )
      yield* until(() => sent.length === 3)
      sent[2]!.resolve(failure("third"))
      assert.isTrue(sent[0]!.cancelled && sent[1]!.cancelled)
      sent[0]!.stopped!()
      sent[1]!.stopped!()
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual((error as Oops).message, "third")
    }))

  it.effect("an interruption that comes as the map ends (its result on its way to the fiber) returns", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      const pool = make(core, 1, 1)
      const fiber = yield* Effect.fork(pool.map([3], (x) => new Square({ x })))
      yield* until(() => sent.length === 1)
      // the last answer and the interruption in the same turn, before the fiber runs again
      sent[0]!.resolve([[9], undefined])
      fiber.unsafeInterruptAsFork(FiberId.none)
      const exit = yield* Fiber.await(fiber).pipe(Effect.timeoutOption("5 seconds"), TestServices.provideLive)
      assert.isTrue(Option.isSome(exit))
    }))

  it.effect("an interruption cancels the chunks in flight and returns once they have stopped", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      const pool = make(core, 1, 1)
      const fiber = yield* Effect.fork(
        pool.map([1, 2, 3], (x) => new Square({ x }), { chunkSize: 1, concurrency: 2 })
      )
      yield* until(() => sent.length === 2)
      const interruption = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* until(() => sent.every((entry) => entry.cancelled))
      yield* Effect.yieldNow()
      assert.isNull(interruption.unsafePoll())
      sent[0]!.stopped!()
      sent[1]!.stopped!()
      const exit = yield* Fiber.join(interruption)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(sent.length, 2)
    }))

  it.effect("an empty array needs no Core", () =>
    Effect.gen(function*() {
      const { core, sent } = fakeCore()
      assert.deepStrictEqual(yield* make(core, 1, 1).map([] as Array<number>, (x) => new Square({ x })), [])
      assert.strictEqual(sent.length, 0)
    }))
})
