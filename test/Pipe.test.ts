import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { Errors, NodeWorkerPool, Parallel, Pipe, SharedQueue } from "../src/index.js"
import { fixture, suspended } from "./helpers.js"
import { Echo, QueuePing, ReceiveAll, SendAndClose } from "./fixtures/queue-tasks.js"

/** Waits until a fiber is suspended, yielding to the scheduler in between. */
describe("Pipe", () => {
  describe("in one thread", () => {
    it.effect("messages go both ways, in order, each direction typed by its own Schema", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.Number, Schema.String)
        assert.strictEqual(left.side, "left")
        assert.strictEqual(right.side, "right")
        yield* Pipe.send(left, 1)
        yield* Pipe.send(left, 2)
        yield* Pipe.send(right, "one")
        assert.strictEqual(yield* Pipe.receive(right), 1)
        assert.strictEqual(yield* Pipe.receive(right), 2)
        assert.strictEqual(yield* Pipe.receive(left), "one")
        // a receive waits for a message
        const waiting = yield* Effect.fork(Pipe.receive(left))
        yield* suspended(waiting)
        yield* Pipe.send(right, "two")
        assert.strictEqual(yield* Fiber.join(waiting), "two")
        // with one Schema, both directions carry it
        const [a, b] = yield* Pipe.make(Schema.Struct({ n: Schema.Number }))
        yield* Pipe.send(b, { n: 1 })
        assert.deepStrictEqual(yield* Pipe.receive(a), { n: 1 })
      }))

    it.effect("closing an end: the other end drains what was sent, then receive fails with PipeClosed; sends fail", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.String)
        yield* Pipe.send(left, "last words")
        yield* Pipe.send(right, "never read")
        yield* Pipe.close(left)
        yield* Pipe.close(left)
        assert.isTrue(yield* Pipe.isClosed(left))
        assert.isFalse(yield* Pipe.isClosed(right))
        assert.strictEqual(yield* Pipe.receive(right), "last words")
        assert.instanceOf(yield* Effect.flip(Pipe.receive(right)), Pipe.PipeClosed)
        assert.instanceOf(yield* Effect.flip(Pipe.send(right, "hello?")), Pipe.PipeClosed)
        // the closed end itself neither sends nor receives
        assert.instanceOf(yield* Effect.flip(Pipe.send(left, "more")), Pipe.PipeClosed)
        assert.instanceOf(yield* Effect.flip(Pipe.receive(left)), Pipe.PipeClosed)
      }))

    it.effect("closing an end wakes a receive waiting on the other end with PipeClosed", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.String)
        const waiting = yield* Effect.fork(Effect.flip(Pipe.receive(right)))
        yield* suspended(waiting)
        yield* Pipe.close(left)
        assert.instanceOf(yield* Fiber.join(waiting), Pipe.PipeClosed)
      }))

    it.effect("send waits while the other end has `capacity` messages unread; a message too large fails typed", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.String, { capacity: 2, bytes: 64 })
        yield* Pipe.send(left, "a")
        yield* Pipe.send(left, "b")
        const third = yield* Effect.fork(Pipe.send(left, "c"))
        yield* suspended(third)
        assert.strictEqual(yield* Pipe.receive(right), "a")
        yield* Fiber.join(third)
        const tooLarge = yield* Effect.flip(Pipe.send(left, "x".repeat(100)))
        assert.instanceOf(tooLarge, SharedQueue.MessageTooLarge)
      }))

    it.effect("an interrupted receive never consumes a message", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.Number)
        const waiting = yield* Effect.fork(Pipe.receive(right))
        yield* suspended(waiting)
        yield* Fiber.interrupt(waiting)
        yield* Pipe.send(left, 5)
        assert.strictEqual(yield* Pipe.receive(right), 5)
      }))

    it.effect("the Schema of an end rebuilds a handle over the same pipe", () =>
      Effect.gen(function*() {
        const [left, right] = yield* Pipe.make(Schema.Number, Schema.String)
        const schema = Pipe.schema(Schema.String, Schema.Number)
        const encoded = Schema.encodeSync(schema)(right)
        assert.strictEqual(encoded.side, "right")
        const decoded = Schema.decodeSync(schema)(structuredClone(encoded))
        assert.isTrue(Pipe.isConnection(decoded))
        yield* Pipe.send(decoded, "from the copy")
        assert.strictEqual(yield* Pipe.receive(left), "from the copy")
        yield* Pipe.close(decoded)
        assert.isTrue(yield* Pipe.isClosed(right))
        // an end whose directions carry other Schemas does not decode
        const wrong = Schema.decodeUnknownEither(Pipe.schema(Schema.Number, Schema.String))(encoded)
        assert.isTrue(wrong._tag === "Left")
        assert.isFalse(Schema.is(schema)(left))
      }))
  })

  layer(NodeWorkerPool.layerThreads({ module: fixture("queue-worker.ts"), size: 2, spawnTimeout: "2 minutes" }), {
    excludeTestServices: true,
    timeout: "3 minutes"
  })("with a worker thread", (it) => {
    it.effect("a round trip: the main program sends numbers, the worker answers each, both directions typed", () =>
      Effect.gen(function*() {
        const [mine, theirs] = yield* Pipe.make(Schema.Number, Schema.String)
        const echo = yield* Parallel.submit(new Echo({ connection: theirs }))
        const answers: Array<string> = []
        for (const n of [1, 2, 3]) {
          yield* Pipe.send(mine, n)
          answers.push(yield* Pipe.receive(mine))
        }
        assert.deepStrictEqual(answers, ["#2", "#4", "#6"])
        // many messages in flight at once
        yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) => Pipe.send(mine, i), { discard: true })
        const more = yield* Effect.forEach(Array.from({ length: 500 }), () => Pipe.receive(mine))
        assert.deepStrictEqual(more, Array.from({ length: 500 }, (_, i) => `#${2 * i}`))
        // closing our end ends the worker's loop with PipeClosed
        yield* Pipe.close(mine)
        assert.strictEqual(yield* echo.await, 503)
      }))

    it.effect("a worker sends, then closes its end: the main program receives it all, then PipeClosed", () =>
      Effect.gen(function*() {
        const [mine, theirs] = yield* Pipe.make(Schema.String)
        const sender = yield* Parallel.submit(new SendAndClose({ connection: theirs, messages: ["a", "b", "c"] }))
        const received = [yield* Pipe.receive(mine), yield* Pipe.receive(mine), yield* Pipe.receive(mine)]
        assert.deepStrictEqual(received, ["a", "b", "c"])
        yield* sender.await
        assert.instanceOf(yield* Effect.flip(Pipe.receive(mine)), Pipe.PipeClosed)
        assert.instanceOf(yield* Effect.flip(Pipe.send(mine, "late")), Pipe.PipeClosed)
      }))

    it.effect("the main program sends, then closes its end: the worker receives it all, then PipeClosed", () =>
      Effect.gen(function*() {
        const [mine, theirs] = yield* Pipe.make(Schema.String)
        const receiver = yield* Parallel.submit(new ReceiveAll({ connection: theirs }))
        yield* Effect.forEach(["x", "y", "z"], (message) => Pipe.send(mine, message), { discard: true })
        yield* Pipe.close(mine)
        assert.deepStrictEqual(yield* receiver.await, ["x", "y", "z"])
      }))
  })

  describe("child processes", () => {
    it.live("a task holding a pipe end fails with an EncodeError for its caller; the pool stays healthy", () =>
      Effect.gen(function*() {
        const [mine, theirs] = yield* Pipe.make(Schema.String)
        const error = yield* Effect.flip(Parallel.run(new SendAndClose({ connection: theirs, messages: ["a"] })))
        assert.instanceOf(error, Errors.EncodeError)
        assert.strictEqual(error.task, "SendAndClose")
        assert.include(error.reason, "SharedArrayBuffer")
        // nothing was sent, and the pipe is still open
        assert.isFalse(yield* Pipe.isClosed(theirs))
        yield* Pipe.send(theirs, "still open")
        assert.strictEqual(yield* Pipe.receive(mine), "still open")
        assert.strictEqual(yield* Parallel.run(new QueuePing()), "pong")
      }).pipe(
        Effect.provide(NodeWorkerPool.layerProcesses({ module: fixture("queue-worker.ts"), size: 1, spawnTimeout: "2 minutes" }))
      ))
  })
})
