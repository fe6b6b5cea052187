/**
 * The WorkerPool contract, run against every pool layer (threads, processes).
 */
import { assert, describe, it } from "@effect/vitest"
import { afterAll } from "vitest"
import {
  Cause,
  Chunk,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  ManagedRuntime,
  Metric,
  Option,
  Schedule,
  Scope,
  Stream
} from "effect"
import { join } from "node:path"
import { Errors, Exchange, JobServer, Metrics, Parallel, WorkerPool } from "../../src/index.js"
import {
  BadResult,
  Counter,
  Die,
  Echo,
  Fail,
  Occupancy,
  Oops,
  Labelled,
  PairSum,
  Stepped,
  Park,
  FailWhenStarted,
  Relay,
  Rendezvous,
  Repeat,
  MakeVec,
  NextDay,
  Reverse,
  Buffers,
  Held,
  HeldIntact,
  Moving,
  MovingEcho,
  MovingMoved,
  ReverseMoved,
  Vec,
  VecLength,
  Vecs,
  Sleep,
  Spin,
  Square,
  Throw,
  ThrowEagerly,
  FragileIn,
  FragileOut,
  FragileCheck,
  FailYieldable,
  FailNow,
  Failure,
  Totals,
  TraceIds,
  Unserved,
  WhoAmI
} from "../fixtures/tasks.js"
import { fileSays, fixture, isAlive, suspended, tempDir, threadCount, waitFor } from "../helpers.js"

export interface PoolOptions {
  readonly module?: URL
  readonly size?: number
  readonly concurrency?: number
  readonly maxQueue?: number
  readonly interruptGrace?: Duration.DurationInput
  readonly spawnAttempts?: number
  readonly maxTasksPerWorker?: number
  readonly maxHeapMb?: number
  /** Start workers from a bundle of the module (threads and processes; the test layer runs in-process anyway). */
  readonly bundle?: boolean
}

export type MakeLayer = (options: PoolOptions) => Layer.Layer<WorkerPool.WorkerPool, unknown>

/** `test` is the in-process TestWorkerPool: the behaviours that need a real thread or process are skipped. */
export const workerPoolSuite = (name: string, kind: "thread" | "process" | "test", makeLayer: MakeLayer) =>
  describe(`WorkerPool (${name})`, () => {
    const pool = (options: PoolOptions = {}) => makeLayer({ module: fixture("worker.ts"), size: 2, ...options })
    const Pool = WorkerPool.WorkerPool
    // the workers' boot ids: the same after a test as before it when no worker was lost or replaced
    const bootIds = Effect.map(
      Effect.flatMap(Pool, (p) => p.broadcast(new WhoAmI())),
      (who) => who.map((w) => w.bootId).sort()
    )
    const defectOf = (exit: Exit.Exit<unknown, unknown>): Error =>
      Exit.isFailure(exit) ? Cause.squash(exit.cause) as Error : assert.fail("expected a failure")
    // Tests that need no special options share one pool of 2 workers (started on first use).
    const shared = ManagedRuntime.make(pool())
    afterAll(() => shared.dispose())

    describe("results and typed errors", () => {
      it.live("run, map and broadcast return typed results", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          assert.strictEqual(yield* p.run(new Square({ x: 7 })), 49)
          assert.deepStrictEqual(yield* Parallel.map([1, 2, 3, 4], (x) => new Square({ x })), [1, 4, 9, 16])
          const who = yield* p.broadcast(new WhoAmI())
          assert.strictEqual(who.length, 2)
          assert.strictEqual(new Set(who.map((w) => w.bootId)).size, 2)
        }).pipe(Effect.provide(shared)))

      it.live("a declared failure arrives as its type", () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(Parallel.run(new Fail({ message: "no" })))
          assert.instanceOf(error, Oops)
          assert.strictEqual(error.message, "no")
        }).pipe(Effect.provide(shared)))

      it.live("a handler may return its failure itself (a yieldable error), even one tagged like an Exit", () =>
        Effect.gen(function*() {
          const before = yield* bootIds
          const error = yield* Effect.flip(Parallel.run(new FailYieldable({ message: "returned" })))
          assert.instanceOf(error, Failure)
          assert.strictEqual(error.message, "returned")
          assert.deepStrictEqual(yield* bootIds, before)
        }).pipe(Effect.provide(shared)))

      it.live("a throw arrives as a defect with the remote message and stack", () =>
        Effect.gen(function*() {
          const exit = yield* Effect.exit(Parallel.run(new Throw({ message: "kaboom" })))
          assert.isTrue(Exit.isFailure(exit))
          const defect = Cause.squash((exit as Exit.Failure<number, never>).cause)
          assert.instanceOf(defect, Error)
          assert.strictEqual((defect as Error).message, "kaboom")
          assert.include((defect as Error).stack, "worker.ts")
        }).pipe(Effect.provide(shared)))

      it.live("a handler that throws instead of returning an Effect fails its own task with a defect; the worker goes on", () =>
        Effect.gen(function*() {
          const before = yield* bootIds
          const alone = defectOf(yield* Effect.exit(Parallel.run(new ThrowEagerly({ message: "eager" }))))
          assert.instanceOf(alone, Error)
          assert.strictEqual(alone.message, "eager")
          // in the middle of a chunk, after items that succeeded
          const items = [0, 1, 2, 3, 4, 5]
          const task = (x: number) => x === 3 ? new ThrowEagerly({ message: "in a chunk" }) : new Square({ x })
          const inChunk = defectOf(yield* Effect.exit(Parallel.map(items, task, { chunkSize: 6 })))
          assert.strictEqual(inChunk.message, "in a chunk")
          // no worker was lost or replaced
          assert.deepStrictEqual(yield* bootIds, before)
        }).pipe(Effect.provide(shared)))

      it.live("an onStart callback that throws fails its own task with that defect, pooled or isolated; the pool goes on", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const throwing = (message: string) => () => {
            throw new Error(message)
          }
          const [pooled, beside] = yield* Effect.all(
            [Effect.exit(p.run(new Square({ x: 2 }), { onStart: throwing("pooled") })), p.run(new Square({ x: 3 }))],
            { concurrency: "unbounded" }
          )
          assert.strictEqual(defectOf(pooled).message, "pooled")
          assert.strictEqual(beside, 9)
          const isolated = yield* Effect.exit(p.run(new Square({ x: 2 }), { isolate: true, onStart: throwing("isolated") }))
          assert.strictEqual(defectOf(isolated).message, "isolated")
          assert.strictEqual(yield* p.run(new Square({ x: 4 }), { isolate: true }), 16)
          assert.strictEqual(yield* p.run(new Square({ x: 5 })), 25)
        }).pipe(Effect.provide(shared)))

      it.live("a Schema that throws instead of failing gives its task an EncodeError or a DecodeError, on either side", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const before = yield* bootIds
          const threw = (error: { readonly message: string }, what: string) => {
            assert.include(error.message, "the Schema threw instead of failing")
            assert.include(error.message, what)
          }
          // the payload's Schema throws on the main side, then in the worker
          const sent = yield* Effect.flip(Parallel.run(new FragileIn({ x: 1002 })))
          assert.instanceOf(sent, Errors.EncodeError)
          threw(sent, "encoding 1002")
          const received = yield* Effect.flip(Parallel.run(new FragileIn({ x: 1001 })))
          assert.instanceOf(received, Errors.DecodeError)
          threw(received, "decoding 1001")
          // the result's Schema throws in the worker, then on the main side, beside a task whose reply may share its
          // message: that one still succeeds
          const returned = yield* Effect.flip(Parallel.run(new FragileOut({ x: 1002 })))
          assert.instanceOf(returned, Errors.DecodeError)
          threw(returned, "encoding 1002")
          const [back, beside] = yield* Effect.all(
            [Effect.flip(p.run(new FragileOut({ x: 1001 }))), p.run(new Square({ x: 3 }))],
            { concurrency: "unbounded" }
          )
          assert.instanceOf(back, Errors.DecodeError)
          threw(back, "decoding 1001")
          assert.strictEqual(beside, 9)
          // a refinement of plain fields that throws: checked on the main side, then in the worker
          // (`true`: the task's constructor does not check, so the pool's check is the first)
          const checked = yield* Effect.flip(Parallel.run(new FragileCheck({ x: 1003 }, true)))
          assert.instanceOf(checked, Errors.EncodeError)
          threw(checked, "checking 1003")
          const checkedBack = yield* Effect.flip(Parallel.run(new FragileCheck({ x: 1004 })))
          assert.instanceOf(checkedBack, Errors.DecodeError)
          threw(checkedBack, "checking 1003")
          // in a chunk
          const chunk = yield* Effect.flip(Parallel.map([1, 1001, 3], (x) => new FragileOut({ x }), { chunkSize: 3 }))
          assert.instanceOf(chunk, Errors.DecodeError)
          threw(chunk, "decoding 1001")
          // no worker was lost or replaced
          assert.deepStrictEqual(yield* bootIds, before)
        }).pipe(Effect.provide(shared)))

      it.live("a result that fails its Schema, or a task without handler, is a DecodeError", () =>
        Effect.gen(function*() {
          const bad = yield* Effect.flip(Parallel.run(new BadResult()))
          assert.instanceOf(bad, Errors.DecodeError)
          const unserved = yield* Effect.flip(Parallel.run(new Unserved()))
          assert.instanceOf(unserved, Errors.DecodeError)
          assert.include(unserved.message, "no handler for task 'Unserved'")
          assert.strictEqual(yield* Parallel.run(new Square({ x: 3 })), 9)
        }).pipe(Effect.provide(shared)))
    })

    describe("concurrency and tracing", () => {
      it.live("a worker with concurrency n runs n tasks at once", () =>
        Effect.gen(function*() {
          const dir = tempDir()
          const joined = yield* Effect.forEach(
            ["a", "b", "c"],
            (name) => Parallel.run(new Rendezvous({ dir, name, parties: 3 })),
            { concurrency: "unbounded" }
          ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "the tasks did not run together" }))
          assert.deepStrictEqual(joined, [3, 3, 3])
        }).pipe(Effect.provide(pool({ size: 1, concurrency: 3 }))))

      it.live("pmap keeps at most `concurrency` tasks running and returns results in order", () =>
        Effect.gen(function*() {
          const dir = tempDir()
          const names = Array.from({ length: 12 }, (_, i) => `t${i}`)
          const occupancy = yield* Parallel.pmap(names, (name) => new Occupancy({ dir, name, millis: 30 }), {
            concurrency: 2
          })
          assert.strictEqual(occupancy.length, 12)
          assert.isAtMost(Math.max(...occupancy), 2)
          // map's other options reach it too
          const progress: Array<number> = []
          const squares = yield* Parallel.pmap([1, 2, 3, 4, 5], (x) => new Square({ x }), {
            concurrency: 2,
            onProgress: ({ done }) => progress.push(done)
          })
          assert.deepStrictEqual(squares, [1, 4, 9, 16, 25])
          assert.deepStrictEqual(progress, [1, 2, 3, 4, 5])
        }).pipe(Effect.provide(pool({ size: 2, concurrency: 3 }))))

      it.live("the caller's span is the parent of the task's span in the worker", () =>
        Effect.gen(function*() {
          const [traceId, spanId] = yield* Parallel.run(new TraceIds()).pipe(
            Effect.zip(Effect.currentSpan),
            Effect.map(([ids, span]) => {
              assert.strictEqual(ids[0], span.traceId)
              assert.strictEqual(ids[1], span.spanId)
              return ids
            }),
            Effect.withSpan("caller")
          )
          assert.isString(traceId)
          assert.isString(spanId)
        }).pipe(Effect.provide(shared)))
    })

    describe("callable and isolated tasks, recycling", () => {
      it.live("a task class is callable: Square.run(payload) runs on the pool in context", () =>
        Effect.gen(function*() {
          assert.strictEqual(yield* Square.run({ x: 12 }), 144)
          const error = yield* Effect.flip(Fail.run({ message: "typed" }))
          assert.instanceOf(error, Oops)
        }).pipe(Effect.provide(shared)))

      it.live("isolate runs each task in a fresh worker, discarded after it", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const pooled = new Set((yield* p.broadcast(new WhoAmI())).map((w) => w.bootId))
          const isolated = yield* Effect.forEach([1, 2], () => p.run(new WhoAmI(), { isolate: true }))
          const ids = new Set(isolated.map((w) => w.bootId))
          assert.strictEqual(ids.size, 2)
          for (const id of ids) assert.isFalse(pooled.has(id))
          const after = new Set((yield* p.broadcast(new WhoAmI())).map((w) => w.bootId))
          assert.deepStrictEqual(after, pooled)
          assert.deepStrictEqual(yield* p.map([1, 2], (x) => new Square({ x }), { isolate: true }), [1, 4])
        }).pipe(Effect.provide(shared)))

      if (kind !== "test") it.live("maxTasksPerWorker replaces a worker after n tasks", () =>
        Effect.gen(function*() {
          const ids = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => Parallel.run(new WhoAmI()))
          assert.strictEqual(new Set(ids.map((w) => w.bootId)).size, 3)
          assert.strictEqual(ids[0]!.bootId, ids[1]!.bootId)
          assert.notStrictEqual(ids[1]!.bootId, ids[2]!.bootId)
        }).pipe(Effect.provide(pool({ size: 1, maxTasksPerWorker: 2 }))))

      if (kind !== "test") it.live("a worker whose heap passes maxHeapMb after a task is replaced", () =>
        Effect.gen(function*() {
          const ids = yield* Effect.forEach([1, 2, 3], () => Parallel.run(new WhoAmI()))
          assert.strictEqual(new Set(ids.map((w) => w.bootId)).size, 3)
        }).pipe(Effect.provide(pool({ size: 1, maxHeapMb: 1 }))))
    })

    describe("channels", () => {
      it.live("a channel task through run, map or submit is a DecodeError; send after closeInput is ChannelClosed", () =>
        Effect.gen(function*() {
          // its handler needs the channel, which only open/openChannel give it
          const counter = new Counter({ start: 1, burst: 1 })
          for (const error of [
            yield* Effect.flip(Parallel.run(counter)),
            yield* Effect.flip(Parallel.map([counter], (task) => task)),
            yield* Effect.flip(Effect.flatMap(Parallel.submit(counter), (job) => job.await))
          ]) {
            assert.instanceOf(error, Errors.DecodeError)
            assert.include(error.message, "is a channel task: start it with Counter.open")
          }
          // the task may have read the end already: a later input would be lost
          const channel = yield* Relay.open({})
          yield* channel.send(1)
          yield* channel.closeInput
          assert.instanceOf(yield* Effect.flip(channel.send(2)), Errors.ChannelClosed)
          assert.strictEqual(yield* channel.await, 1)
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("a channel task takes commands and streams values both ways, then ends with its result", () =>
        Effect.gen(function*() {
          const channel = yield* Counter.open({ start: 10, burst: 1000 })
          yield* channel.send("next")
          yield* channel.send("next")
          assert.deepStrictEqual(Option.getOrNull(yield* channel.take), 10)
          assert.deepStrictEqual(Option.getOrNull(yield* channel.take), 11)
          yield* channel.send("burst")
          yield* channel.send("next")
          yield* channel.closeInput
          const rest = Chunk.toArray(yield* Stream.runCollect(channel.output))
          assert.deepStrictEqual(rest, Array.from({ length: 1001 }, (_, i) => 12 + i))
          assert.strictEqual(yield* channel.await, 1003)
          assert.isTrue(Option.isNone(yield* channel.take))
          const closed = yield* Effect.flip(channel.send("next"))
          assert.instanceOf(closed, Errors.ChannelClosed)
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("several fibers may wait on a channel at once, on either side", () =>
        Effect.gen(function*() {
          // the worker's handler takes two inputs concurrently
          const pairs = yield* PairSum.open({})
          yield* pairs.send(1)
          yield* pairs.send(2)
          assert.deepStrictEqual(Option.getOrNull(yield* pairs.take), 3)
          // here one fiber awaits the result while another takes the next output
          const result = yield* Effect.fork(pairs.await)
          yield* suspended(result)
          const taken = yield* Effect.fork(pairs.take)
          yield* suspended(taken)
          yield* pairs.send(10)
          yield* pairs.send(20)
          assert.deepStrictEqual(Option.getOrNull(yield* Fiber.join(taken)), 30)
          yield* pairs.closeInput
          assert.strictEqual(yield* Fiber.join(result), 2)
        }).pipe(Effect.scoped, Effect.timeout("20 seconds"), Effect.provide(shared)))

      it.live("a channel task's failure fails its output and result typed; closing the scope interrupts it", () =>
        Effect.gen(function*() {
          const failing = yield* Counter.open({ start: 0, burst: 3 })
          yield* failing.send("burst")
          yield* failing.send("fail")
          const outputs: Array<number> = []
          const error = yield* Effect.flip(Stream.runForEach(failing.output, (n) => Effect.sync(() => outputs.push(n))))
          assert.deepStrictEqual(outputs, [0, 1, 2])
          assert.instanceOf(error, Oops)
          assert.instanceOf(yield* Effect.flip(failing.await), Oops)
          // a channel left open when its scope closes is interrupted in its worker; the pool keeps serving
          const waiting = yield* Effect.scoped(Effect.map(Counter.open({ start: 0, burst: 1 }), (c) => c))
          assert.isTrue(Exit.isInterrupted(yield* Effect.exit(waiting.await)))
          assert.strictEqual(yield* Parallel.run(new Square({ x: 9 })), 81)
        }).pipe(Effect.scoped, Effect.provide(pool({ size: 1, concurrency: 2 }))))
    })

    if (kind !== "test") {
      it.live("a channel whose worker dies fails with WorkerCrashed", () =>
        Effect.gen(function*() {
          const channel = yield* Counter.open({ start: 0, burst: 1 })
          yield* channel.send("next")
          assert.deepStrictEqual(Option.getOrNull(yield* channel.take), 0)
          yield* channel.send("die")
          const error = yield* Effect.flip(Stream.runDrain(channel.output))
          assert.instanceOf(error, Errors.WorkerCrashed)
          assert.strictEqual(error.exitCode, 5)
          assert.instanceOf(yield* Effect.flip(channel.send("next")), Errors.ChannelClosed)
        }).pipe(Effect.scoped, Effect.provide(pool({ size: 1 }))))
    }

    describe("exchange", () => {
      it.live("collects results in completion order, tagged with their member, within its limit", () =>
        Effect.gen(function*() {
          const seen: Array<number> = []
          const exchange = yield* Exchange.make<number, never>({
            limit: 3,
            onResult: (r) => Effect.sync(() => seen.push(r.value))
          })
          const slow = yield* exchange.start(new Sleep({ millis: 600, value: 600 }))
          const fast = yield* exchange.start(new Sleep({ millis: 10, value: 10 }))
          const middle = yield* exchange.start(new Sleep({ millis: 250, value: 250 }))
          assert.deepStrictEqual([slow.id, fast.id, middle.id], [1, 2, 3])
          const results = yield* exchange.finish
          assert.deepStrictEqual(results.map((r) => r.value), [10, 250, 600])
          assert.deepStrictEqual(results.map((r) => r.member.id), [2, 3, 1])
          assert.deepStrictEqual(seen, [10, 250, 600])
          assert.strictEqual(yield* exchange.active, 0)
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("start waits while `limit` members are active; ready lists members with results waiting", () =>
        Effect.gen(function*() {
          const exchange = yield* Exchange.make<number, never>({ limit: 1 })
          for (const value of [300, 10, 100]) {
            yield* exchange.start(new Sleep({ millis: value, value }))
            assert.isAtMost(yield* exchange.active, 1)
          }
          yield* waitFor("the last member to finish", () => Effect.runSync(exchange.active) === 0)
          assert.deepStrictEqual((yield* exchange.ready).map((m) => m.id), [1, 2, 3])
          const results = yield* exchange.finish
          assert.deepStrictEqual(results.map((r) => r.value), [300, 10, 100])
          assert.deepStrictEqual(yield* exchange.ready, [])
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("a failure stops the exchange with the member's identity, or is collected", () =>
        Effect.gen(function*() {
          const marker = join(tempDir(), "park")
          const stopping = yield* Exchange.make<unknown, Oops>()
          yield* stopping.start(new Park({ marker }))
          yield* waitFor("the parked member to start", () => fileSays(marker) === "started")
          yield* stopping.start(new Fail({ message: "member failed" }))
          const failure = yield* Effect.flip(stopping.finish)
          assert.instanceOf(failure, Exchange.MemberFailed)
          assert.deepStrictEqual(failure.member, { id: 2, task: "Fail" })
          assert.instanceOf(failure.error, Oops)
          yield* waitFor("the other member to be interrupted", () => fileSays(marker) === "interrupted")

          const collecting = yield* Exchange.make<number, Oops>({ onFailure: "collect" })
          yield* collecting.start(new Fail({ message: "one" }))
          yield* collecting.start(new Square({ x: 4 }))
          const results = yield* collecting.finish
          assert.deepStrictEqual(results.map((r) => r.value), [16])
          const failures = yield* collecting.failures
          assert.strictEqual(failures.length, 1)
          assert.strictEqual(failures[0]!.member.id, 1)
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("a member that dies, or a job interrupted by its owner, ends the exchange with a defect, whatever the policy", () =>
        Effect.gen(function*() {
          for (const onFailure of ["stop", "collect"] as const) {
            const dying = yield* Exchange.make<number, never>({ onFailure })
            yield* dying.start(new Square({ x: 2 }))
            yield* dying.start(new Throw({ message: `died under ${onFailure}` }))
            assert.strictEqual(defectOf(yield* Effect.exit(dying.finish)).message, `died under ${onFailure}`)

            const interrupted = yield* Exchange.make<unknown, never>({ onFailure })
            const marker = join(tempDir(), "park")
            const job = yield* Parallel.submit(new Park({ marker }))
            yield* interrupted.add(job, "Park")
            yield* waitFor("the parked job to start", () => fileSays(marker) === "started")
            yield* job.interrupt
            assert.include(defectOf(yield* Effect.exit(interrupted.finish)).message, "interrupted outside the exchange")
          }
          // a limit that would never let a member start; Infinity is none
          for (const limit of [0, -1, 1.5]) {
            const exit = yield* Effect.exit(Exchange.make<number, never>({ limit }))
            assert.include(defectOf(exit).message, "limit must be a positive integer")
          }
          const unlimited = yield* Exchange.make<number, never>({ limit: Infinity })
          yield* unlimited.start(new Square({ x: 5 }))
          assert.deepStrictEqual((yield* unlimited.finish).map((r) => r.value), [25])
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("channels and jobs are members too: every output of a channel is a result", () =>
        Effect.gen(function*() {
          const exchange = yield* Exchange.make<number, Oops>()
          const [member, channel] = yield* exchange.startChannel(new Counter({ start: 100, burst: 3 }))
          yield* channel.send("burst")
          yield* channel.closeInput
          const job = yield* Parallel.submit(new Square({ x: 5 }))
          const added = yield* exchange.add(job, "Square")
          const results = yield* exchange.finish
          const fromChannel = results.filter((r) => r.member.id === member.id).map((r) => r.value)
          assert.deepStrictEqual(fromChannel, [100, 101, 102])
          assert.deepStrictEqual(results.filter((r) => r.member.id === added.id).map((r) => r.value), [25])
        }).pipe(Effect.scoped, Effect.provide(shared)))

      it.live("many members started before finish: none waits on the unread results of the others", () =>
        Effect.gen(function*() {
          const exchange = yield* Exchange.make<number, never>({ limit: 2 })
          for (let x = 0; x < 400; x++) yield* exchange.start(new Square({ x }))
          const results = yield* exchange.finish
          assert.deepStrictEqual(results.map((r) => r.value).sort((a, b) => a - b), Array.from({ length: 400 }, (_, x) => x * x))
        }).pipe(Effect.scoped, Effect.timeout("60 seconds"), Effect.provide(shared)))

      it.live("a channel member that outruns its reader waits, and stops with the exchange's scope or the stop policy", () =>
        Effect.gen(function*() {
          // a burst of 2,000 outputs, 5 of them read, then the scope closes
          const read = yield* Effect.scoped(Effect.gen(function*() {
            const exchange = yield* Exchange.make<number, Oops>()
            const [, channel] = yield* exchange.startChannel(new Counter({ start: 0, burst: 2000 }))
            yield* channel.send("burst")
            return Chunk.toArray(yield* Stream.runCollect(Stream.take(exchange.results, 5))).map((r) => r.value)
          }))
          assert.deepStrictEqual(read, [0, 1, 2, 3, 4])

          // another member's failure stops a channel member waiting for input, and a job added to the exchange
          // (three workers: one each for the channel, the job and the failing task)
          const exchange = yield* Exchange.make<unknown, Oops>()
          const [, waiting] = yield* exchange.startChannel(new Counter({ start: 0, burst: 1 }))
          const marker = join(tempDir(), "park")
          const job = yield* Parallel.submit(new Park({ marker }))
          yield* exchange.add(job, "Park")
          yield* waitFor("the parked job to start", () => fileSays(marker) === "started")
          yield* exchange.start(new Fail({ message: "member failed" }))
          assert.instanceOf(yield* Effect.flip(exchange.finish), Exchange.MemberFailed)
          assert.isTrue(Exit.isInterrupted(yield* Effect.exit(waiting.await)))
          assert.isTrue(Exit.isInterrupted(yield* Effect.exit(job.await)))
          assert.strictEqual(fileSays(marker), "interrupted")
        }).pipe(Effect.scoped, Effect.timeout("60 seconds"), Effect.provide(pool({ size: 3 }))))
    })

    describe("job server", () => {
      const withServer = <A, E>(effect: Effect.Effect<A, E, JobServer.JobServer | WorkerPool.WorkerPool>, options?: PoolOptions) =>
        effect.pipe(Effect.provide(JobServer.layer), Effect.provide(pool(options)))

      it.live("submit gives jobs to yield; groups, callbacks and statistics", () =>
        withServer(Effect.gen(function*() {
          const server = yield* JobServer.JobServer
          const ncpus = yield* server.ncpus
          assert.strictEqual(ncpus, 2)
          const done: Array<number> = []
          const jobs = yield* Effect.forEach([1, 2, 3, 4], (x) =>
            server.submit(new Square({ x }), {
              group: x % 2 === 0 ? "even" : "odd",
              onDone: (exit) => Effect.sync(() => exit._tag === "Success" && done.push(exit.value))
            }))
          yield* server.wait("even")
          assert.isTrue(yield* jobs[1]!.finished)
          assert.isTrue(yield* jobs[3]!.finished)
          yield* server.wait()
          const results: Array<number> = []
          for (const job of jobs) results.push(yield* job)
          assert.deepStrictEqual(results, [1, 4, 9, 16])
          assert.sameMembers(done, [1, 4, 9, 16])
          const stats = yield* server.stats
          assert.strictEqual(stats.jobs, 4)
          assert.deepStrictEqual(stats.nodes.map((n) => [n.node, n.jobs, n.cores]), [["local", 4, 2]])
          const table = yield* server.statsTable
          assert.include(table, " job count | % of all jobs | job time sum | time per job | job server")
          assert.match(table, /\s+4 \|\s+100\.00 \|/)
          assert.deepStrictEqual(yield* server.activeNodes, [{ node: "local", cores: 2 }])
        })))

      it.live("an onDone callback that fails or throws changes nothing of its job's result", () =>
        withServer(Effect.gen(function*() {
          const server = yield* JobServer.JobServer
          const thrown = yield* server.submit(new Square({ x: 3 }), {
            onDone: () =>
              Effect.sync(() => {
                throw new Error("callback bug")
              })
          })
          const failed = yield* server.submit(new Square({ x: 4 }), { onDone: () => Effect.die("callback died") })
          assert.strictEqual(yield* thrown, 9)
          assert.strictEqual(yield* failed, 16)
          yield* server.wait()
        })))

      it.live("setNcpus grows and shrinks the pool while jobs run, losing none", () =>
        withServer(Effect.gen(function*() {
          const server = yield* JobServer.JobServer
          const jobs = yield* Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) =>
            server.submit(new Sleep({ millis: 20, value: i })))
          yield* server.setNcpus(3)
          assert.strictEqual(yield* server.ncpus, 3)
          yield* server.setNcpus(1)
          yield* server.wait()
          const values: Array<number> = []
          for (const job of jobs) values.push(yield* job)
          assert.deepStrictEqual(values, Array.from({ length: 12 }, (_, i) => i))
          yield* server.setNcpus(3)
          const pool = yield* WorkerPool.WorkerPool
          yield* waitFor("three workers", () => Effect.runSync(pool.size) === 3)
          const who = yield* pool.broadcast(new WhoAmI())
          assert.strictEqual(new Set(who.map((w) => w.bootId)).size, 3)
          // the pool's capacity, and with it pmap's default concurrency, follows
          assert.strictEqual(pool.capacity, 3)
          const dir = tempDir()
          const names = Array.from({ length: 9 }, (_, i) => `t${i}`)
          const occupancy = yield* Parallel.pmap(names, (name) => new Occupancy({ dir, name, millis: 150 }))
          assert.strictEqual(Math.max(...occupancy), 3)
          assert.instanceOf(yield* Effect.flip(server.setNcpus(0)), Errors.InvalidOptions)
        })))
    })

    if (kind !== "test") {
      it.live("the pool's metrics count the tasks it ran, labelled with its worker module", () =>
        Effect.gen(function*() {
          const completed = Metrics.tasksCompleted.pipe(Metric.tagged("pool", "worker.ts"))
          const before = (yield* Metric.value(completed)).count
          yield* Parallel.map([1, 2, 3], (x) => new Square({ x }), { chunkSize: 1 })
          assert.isAtLeast((yield* Metric.value(completed)).count - before, 3)
          assert.isAtLeast((yield* Metric.value(Metrics.workers.pipe(Metric.tagged("pool", "worker.ts")))).value, 1)
        }).pipe(Effect.provide(shared)))
    }

    describe("transfers", () => {
      it.live("buffers listed in `transfer` move to a worker thread instead of being copied", () =>
        Effect.gen(function*() {
          const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => i % 251)
          const expected = data.slice().reverse()
          const reversed = yield* Parallel.run(new Reverse({ data }), { transfer: [data.buffer] })
          assert.deepStrictEqual(reversed, expected)
          // moved to a thread (and in-process), copied to a child process
          assert.strictEqual(data.byteLength, kind === "process" ? 1 << 20 : 0)
        }).pipe(Effect.provide(shared)))

      it.live("a handler's Transferable.addAll moves its result back from a worker thread", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const reversed = yield* p.run(new Reverse({ data: Uint8Array.of(1, 2, 3) }))
          assert.deepStrictEqual(Array.from(reversed), [3, 2, 1])
          // the same worker (size 1): the result's buffer has left it, unless it was copied (a child process;
          // in-process, nothing is sent)
          assert.strictEqual(yield* p.run(new ReverseMoved()), kind === "thread")
        }).pipe(Effect.provide(pool({ size: 1 }))))

      it.live("Task.transferable moves a payload's and a result's buffers both ways, for run and map", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
          const expected = Array.from(data).reverse()
          const out = yield* p.run(new Moving({ data }))
          assert.deepStrictEqual([Array.from(out.reversed), out.count], [expected, 1000])
          // moved to a thread, and in-process (TestWorkerPool sends with the same transfer list); a child process copies
          assert.strictEqual(data.byteLength, kind === "process" ? 1000 : 0)
          // the result its handler answered with at once (no Transferable.addAll) has left the worker: the same
          // worker (size 1), a thread only (a child process and TestWorkerPool copy results)
          assert.strictEqual(yield* p.run(new MovingMoved()), kind === "thread")
          // chunks of a map move theirs too
          const inputs = [1, 2, 3, 4].map((k) => Uint8Array.of(k, k + 1))
          const echoed = yield* p.map(inputs, (bytes) => new MovingEcho({ data: bytes }), { chunkSize: 2 })
          assert.deepStrictEqual(echoed.map((bytes) => Array.from(bytes)), [[1, 2], [2, 3], [3, 4], [4, 5]])
          assert.deepStrictEqual(inputs.map((bytes) => bytes.byteLength), kind === "process" ? [2, 2, 2, 2] : [0, 0, 0, 0])
          // a buffer both declared and listed in `transfer` is listed once (a transfer list naming one twice throws)
          const twice = Uint8Array.of(7, 8)
          assert.deepStrictEqual(Array.from(yield* p.run(new MovingEcho({ data: twice }), { transfer: [twice.buffer] })), [7, 8])
        }).pipe(Effect.provide(pool({ size: 1 }))))

      it.live("a Task.transferable function that throws fails its own task: EncodeError, or DecodeError on the way back", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const encode = yield* Effect.flip(p.run(new Moving({ data: Uint8Array.of(255, 1) })))
          assert.instanceOf(encode, Errors.EncodeError)
          assert.include(encode.message, "no moving 255")
          // it is called where the result moves: from a thread
          const back = yield* Effect.either(p.run(new Moving({ data: Uint8Array.of(1, 254) })))
          if (kind === "thread") {
            assert.isTrue(Either.isLeft(back) && back.left instanceof Errors.DecodeError)
            assert.include(String(Either.isLeft(back) && back.left.message), "no moving 254 back")
          } else {
            assert.deepStrictEqual(Either.map(back, (out) => Array.from(out.reversed)), Either.right([254, 1]))
          }
          // and the worker goes on
          assert.deepStrictEqual(Array.from((yield* p.run(new Moving({ data: Uint8Array.of(1, 2) }))).reversed), [2, 1])
        }).pipe(Effect.provide(pool({ size: 1 }))))

      it.live("Task.transferable: a buffer moved already fails its task, typed; a chunk may mix classes; a broadcast copies", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const task = new MovingEcho({ data: Uint8Array.of(1, 2, 3) })
          assert.deepStrictEqual(Array.from(yield* p.run(task)), [1, 2, 3])
          // its buffer has moved (to a thread, or in-process): the same task cannot send it again (a child process
          // copies, so it can)
          const again = yield* Effect.either(p.run(task))
          if (kind === "process") assert.deepStrictEqual(Either.map(again, (bytes) => Array.from(bytes)), Either.right([1, 2, 3]))
          else assert.isTrue(Either.isLeft(again) && again.left instanceof Errors.EncodeError, String(again))
          assert.strictEqual(yield* p.run(new Square({ x: 4 })), 16)
          // one chunk of two classes: each result goes back by its own task's Schema (the first's moves its buffer)
          const mixed = yield* p.map(
            [1, 2, 3, 4],
            (k): MovingEcho | Square => (k % 2 === 1 ? new MovingEcho({ data: Uint8Array.of(k) }) : new Square({ x: k })),
            { chunkSize: 4 }
          )
          assert.deepStrictEqual(mixed.map((r) => (typeof r === "number" ? r : Array.from(r))), [[1], 4, [3], 16])
          // a broadcast copies its payload to each worker: a buffer can move to one thread only
          const data = Uint8Array.of(9)
          const all = yield* p.broadcast(new MovingEcho({ data }))
          assert.deepStrictEqual(all.map((bytes) => Array.from(bytes)), [[9], [9]])
          assert.strictEqual(data.byteLength, 1)
        }).pipe(Effect.provide(pool({ size: 2 }))))

      // (to a thread, large buffers go as copies that are moved: this checks the copy keeps what a clone keeps)
      it.live("large buffers not listed in `transfer` are copied: the caller keeps its own, and shared ones stay shared", () =>
        Effect.gen(function*() {
          const raw = new ArrayBuffer(1 << 20)
          const a = new Float64Array(raw).fill(1)
          const part = new Float64Array(raw, 8, 16)
          const results = yield* Effect.all([
            Parallel.run(new Buffers({ a, b: a, raw, part })),
            // a small one, cloned as before
            Parallel.run(new Buffers({ a: new Float64Array(4).fill(1), b: new Float64Array(1), raw, part }))
          ], { concurrency: "unbounded" })
          const [large, small] = results
          assert.deepStrictEqual([large.sameArray, large.sum, small.sameArray, small.sum], [true, 131_072, false, 4])
          // a thread (or in-process) gets what a clone keeps: a buffer and its views are one buffer there (a child
          // process's IPC serialisation does not keep it: each view comes on a buffer of its own, or Node's pool)
          assert.deepStrictEqual([large.partAt[1], small.partAt[1]], [16, 16])
          if (kind !== "process") {
            assert.deepStrictEqual([large.partAt, small.partAt], [[8, 16], [8, 16]])
            assert.deepStrictEqual([large.rawIsItsBuffer, large.partSharesIt, small.rawIsItsBuffer, small.partSharesIt], [
              true,
              true,
              false,
              false
            ])
          }
          // not moved, and not written by the handler (which set a[0] to -1 in its copy)
          assert.strictEqual(raw.byteLength, 1 << 20)
          assert.strictEqual(a[0], 1)
        }).pipe(Effect.provide(shared)))

      it.live("a large result its handler keeps is copied back: the handler's own stays whole", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const result = yield* p.run(new Held({ n: 1 << 17 }))
          assert.strictEqual(result.length, 1 << 17)
          assert.strictEqual(result[(1 << 17) - 1], (1 << 17) - 1)
          // the same worker (size 1)
          assert.isTrue(yield* p.run(new HeldIntact()))
        }).pipe(Effect.provide(pool({ size: 1 }))))
    })

    describe("bad payloads", () => {
      it.live("unserializable or invalid payloads fail only their caller with EncodeError", () =>
        Effect.gen(function*() {
          const fn = yield* Effect.flip(Parallel.run(new Echo({ value: () => 1 })))
          assert.instanceOf(fn, Errors.EncodeError)
          const sym = yield* Effect.flip(Parallel.run(new Echo({ value: Symbol("s") })))
          assert.instanceOf(sym, Errors.EncodeError)
          const schema = yield* Effect.flip(Parallel.run(new Square({ x: "three" as unknown as number }, true)))
          assert.instanceOf(schema, Errors.EncodeError)
          assert.include(schema.message, "Expected number")
          // one bad payload among many sent together
          const results = yield* Effect.forEach(
            Array.from({ length: 50 }, (_, i) => i),
            (i) => Effect.either(i === 25 ? Parallel.run(new Echo({ value: () => i })) : Parallel.run(new Echo({ value: i }))),
            { concurrency: "unbounded" }
          )
          results.forEach((result, i) => {
            if (i === 25) assert.isTrue(result._tag === "Left" && result.left instanceof Errors.EncodeError)
            else assert.isTrue(result._tag === "Right" && result.right === i)
          })
        }).pipe(Effect.provide(shared)))

      it.live("a task that cannot be sent frees its place for the tasks queued behind it; a bad transfer list is an EncodeError", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          // one worker: the second and third tasks wait in the pool's queue while the first one is being sent
          const [badTransfer, unclonable, after] = yield* Effect.all([
            Effect.either(p.run(new Square({ x: 1 }), { transfer: [{} as never] })),
            Effect.flip(p.run(new Echo({ value: () => 1 }))),
            p.run(new Square({ x: 3 }))
          ], { concurrency: "unbounded" })
          // (a child process gets copies: its pool does not look at transfer lists)
          if (kind === "process") assert.deepStrictEqual(badTransfer, Either.right(1))
          else assert.isTrue(Either.isLeft(badTransfer) && badTransfer.left instanceof Errors.EncodeError)
          assert.instanceOf(unclonable, Errors.EncodeError)
          assert.strictEqual(after, 9)
          // a transfer option that is not an array is a defect of the call, as other wrong per-call options are
          const exit = yield* Effect.exit(p.run(new Square({ x: 2 }), { transfer: 5 as never }))
          assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
          assert.include(String(Cause.squash((exit as Exit.Failure<number, never>).cause)), "transfer must be an array")
          assert.strictEqual(yield* p.run(new Square({ x: 4 })), 16)
        }).pipe(Effect.provide(pool({ size: 1 }))))

      it.live("a channel input or output that cannot be cloned fails its task typed, and frees its worker", () =>
        Effect.gen(function*() {
          const input = yield* Relay.open({})
          yield* input.send(1)
          assert.strictEqual(Option.getOrNull(yield* input.take), 1)
          yield* input.send(() => 1)
          assert.instanceOf(yield* Effect.flip(input.await), Errors.EncodeError)
          // the task has stopped in the pool's only worker, which runs the next one
          assert.strictEqual(yield* Parallel.run(new Square({ x: 3 })), 9)

          const output = yield* Relay.open({})
          yield* output.send("a function")
          const lost = yield* Effect.flip(output.await)
          assert.instanceOf(lost, Errors.DecodeError)
          assert.include(lost.message, "an output could not be sent back")
          assert.strictEqual(yield* Parallel.run(new Square({ x: 4 })), 16)

          // the same once its handler has waited for credit: the caller's take is not where it fails
          const waited = yield* Relay.open({})
          for (let i = 0; i < 16; i++) yield* waited.send(i)
          yield* waited.send("a function")
          yield* Effect.sleep("50 millis")
          assert.strictEqual(Option.getOrNull(yield* waited.take), 0)
          const late = yield* Effect.flip(waited.await)
          assert.instanceOf(late, Errors.DecodeError)
          assert.strictEqual(yield* Parallel.run(new Square({ x: 5 })), 25)
        }).pipe(Effect.scoped, Effect.timeout("20 seconds"), Effect.provide(pool({ size: 1 }))))

      it.live("a channel input or output that fails its Schema on arrival fails its task with DecodeError", () =>
        Effect.gen(function*() {
          // a Vec arrives as a plain object, which its instanceOf Schema rejects
          const input = yield* Vecs.open({})
          yield* input.send(1)
          assert.strictEqual(Option.getOrNull(yield* input.take), 1)
          yield* input.send(new Vec(2))
          const badInput = yield* Effect.flip(input.await)
          assert.instanceOf(badInput, Errors.DecodeError)
          assert.include(badInput.message, "an input of channel task 'Vecs' failed its Schema")
          assert.strictEqual(yield* Parallel.run(new Square({ x: 3 })), 9)

          const output = yield* Vecs.open({})
          yield* output.send(-1)
          const badOutput = yield* Effect.flip(output.await)
          assert.instanceOf(badOutput, Errors.DecodeError)
          assert.include(badOutput.message, "an output failed its Schema")
          assert.strictEqual(yield* Parallel.run(new Square({ x: 4 })), 16)
        }).pipe(Effect.scoped, Effect.timeout("20 seconds"), Effect.provide(pool({ size: 1 }))))

      it.live("an isolated task that cannot be sent frees its worker for the next isolated task", () =>
        Effect.gen(function*() {
          for (let i = 0; i < 3; i++) {
            const error = yield* Effect.flip(Parallel.run(new Echo({ value: () => i }), { isolate: true }))
            assert.instanceOf(error, Errors.EncodeError)
          }
          assert.strictEqual(yield* Parallel.run(new Square({ x: 5 }), { isolate: true }), 25)
        }).pipe(Effect.timeout("20 seconds"), Effect.provide(pool({ size: 1 }))))

      it.live("an invalid task in a map's chunk fails the map with EncodeError, and the pool goes on", () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            Parallel.map(
              Array.from({ length: 20 }, (_, i) => i),
              (x) => x === 7 ? new Square({ x: "seven" as unknown as number }, true) : new Square({ x }),
              { chunkSize: 10 }
            )
          )
          assert.instanceOf(error, Errors.EncodeError)
          assert.include(error.message, "Expected number")
          const unserializable = yield* Effect.flip(
            Parallel.map([1, 2, 3], (x) => new Echo({ value: x === 2 ? () => x : x }), { chunkSize: 3 })
          )
          assert.instanceOf(unserializable, Errors.EncodeError)
          assert.deepStrictEqual(yield* Parallel.map([1, 2, 3], (x) => new Square({ x })), [1, 4, 9])
        }).pipe(Effect.provide(shared)))

      it.live("a value that is not a task (a plain object with a _tag, say) is an EncodeError, not a defect", () =>
        Effect.gen(function*() {
          const notTask = { _tag: "Square", x: 2 } as unknown as Square
          const single = yield* Effect.flip(Parallel.run(notTask))
          assert.instanceOf(single, Errors.EncodeError)
          assert.include(single.message, "not a task value")
          const inMap = yield* Effect.flip(Parallel.map([1, 2], (x) => x === 1 ? notTask : new Square({ x })))
          assert.instanceOf(inMap, Errors.EncodeError)
          const primitive = yield* Effect.flip(Parallel.map([1, 2], (x) => x as unknown as Square, { chunkSize: 2 }))
          assert.instanceOf(primitive, Errors.EncodeError)
        }).pipe(Effect.provide(shared)))
    })

    describe("plain payloads and results", () => {
      it.live("go as their Schema has them: keys it does not declare are dropped, absent optional fields stay absent", () =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* Parallel.run(new Totals({ n: 3 })), { total: 3 })
          const tasks = [new Labelled({ n: 1 }), new Labelled({ n: 2, label: "two" }), new Labelled({ n: 3 })]
          assert.deepStrictEqual(yield* Parallel.map(tasks, (task) => task), [false, true, false])
          assert.deepStrictEqual(yield* Effect.forEach(tasks, (task) => Parallel.run(task)), [false, true, false])
          // a field with a default (a transformation): encoded by Schema, in single runs and chunks
          assert.strictEqual(yield* Parallel.run(new Stepped({ x: 1 })), 2)
          assert.deepStrictEqual(yield* Parallel.map([1, 2], (x) => new Stepped({ x, step: 10 })), [11, 12])
        }).pipe(Effect.provide(shared)))
    })

    describe("refined payloads and results", () => {
      // fields such as integers or non-empty strings are checked on the main side, results in the worker
      it.live("are checked on both sides, in single runs and in chunks", () =>
        Effect.gen(function*() {
          const items = Array.from({ length: 12 }, (_, i) => i + 1)
          assert.deepStrictEqual(
            yield* Parallel.map(items, (times) => new Repeat({ text: "ab", times }), { chunkSize: 5 }),
            items.map((times) => "ab".repeat(times))
          )
          const fractional = yield* Effect.flip(Parallel.run(new Repeat({ text: "ab", times: 1.5 }, true)))
          assert.instanceOf(fractional, Errors.EncodeError)
          assert.include(fractional.message, "integer")
          const empty = yield* Effect.flip(
            Parallel.map(items, (times) => new Repeat({ text: times === 7 ? "" : "ab", times }, true), { chunkSize: 5 })
          )
          assert.instanceOf(empty, Errors.EncodeError)
          const emptyResult = yield* Effect.flip(Parallel.run(new Repeat({ text: "ab", times: 0 })))
          assert.instanceOf(emptyResult, Errors.DecodeError)
          assert.throws(() => new Repeat({ text: "ab", times: 1.5 }))
        }).pipe(Effect.provide(shared)))

      it.live("declared fields (Uint8ArrayFromSelf) are checked before they leave, and by their constructor", () =>
        Effect.gen(function*() {
          const notBytes = yield* Effect.flip(Parallel.run(new Reverse({ data: [1, 2, 3] as any }, true)))
          assert.instanceOf(notBytes, Errors.EncodeError)
          assert.include(notBytes.message, "Uint8Array")
          assert.throws(() => new Reverse({ data: new Uint16Array(3) as any }))
          assert.deepStrictEqual(Array.from(yield* Parallel.run(new Reverse({ data: Uint8Array.of(1, 2, 3) }))), [3, 2, 1])
        }).pipe(Effect.provide(shared)))

      it.live("a declared type that structured clone cannot keep (a class's instance) is a DecodeError, both ways", () =>
        Effect.gen(function*() {
          const payload = yield* Effect.flip(Parallel.run(new VecLength({ v: new Vec(-3) })))
          assert.instanceOf(payload, Errors.DecodeError)
          assert.include(payload.message, "Expected Vec")
          const result = yield* Effect.flip(Parallel.run(new MakeVec({ x: 2 })))
          assert.instanceOf(result, Errors.DecodeError)
          assert.include(result.message, "Expected Vec")
          // dates survive the clone: checked again on arrival, they pass
          const next = yield* Parallel.run(new NextDay({ at: new Date(0) }))
          assert.instanceOf(next, Date)
          assert.strictEqual(next.getTime(), 86_400_000)
          assert.strictEqual(yield* Parallel.run(new Square({ x: 4 })), 16)
        }).pipe(Effect.provide(shared)))
    })

    describe("chunks", () => {
      // a chunk of plain tasks of one class goes as one array per field, any other one task by one
      it.live("map gives the same results for chunks of one class, of several fields, of buffers, or of mixed classes", () =>
        Effect.gen(function*() {
          const items = Array.from({ length: 30 }, (_, i) => i)
          assert.deepStrictEqual(
            yield* Parallel.map(items, (x) => new Sleep({ millis: 0, value: x }), { chunkSize: 8 }),
            items
          )
          const buffers = yield* Parallel.map(items, (x) => new Echo({ value: Uint8Array.of(x, x + 1) }), { chunkSize: 8 })
          assert.deepStrictEqual(buffers.map((b) => Array.from(b as Uint8Array)), items.map((x) => [x, x + 1]))
          assert.deepStrictEqual(
            yield* Parallel.map(items, (x) => x % 2 === 0 ? new Square({ x }) : new Echo({ value: `s${x}` }), {
              chunkSize: 8
            }),
            items.map((x) => x % 2 === 0 ? x * x : `s${x}`)
          )
        }).pipe(Effect.provide(shared)))

      it.live("a chunk keeps its order whether its handlers answer at once, suspend or fail", () =>
        Effect.gen(function*() {
          const items = Array.from({ length: 24 }, (_, i) => i)
          // Square answers with an Exit (no fiber in the worker), Sleep suspends (a fiber for the rest of its chunk)
          const task = (x: number) => x % 3 === 0 ? new Sleep({ millis: 1, value: x }) : new Square({ x })
          assert.deepStrictEqual(
            yield* Parallel.map(items, task, { chunkSize: 8 }),
            items.map((x) => x % 3 === 0 ? x : x * x)
          )
          const failing = (at: number) => (x: number) => x === at ? new Fail({ message: `at ${x}` }) : task(x)
          for (const at of [1, 13, 22]) {
            const error = yield* Effect.flip(Parallel.map(items, failing(at), { chunkSize: 8 }))
            assert.instanceOf(error, Oops)
            assert.strictEqual(error.message, `at ${at}`)
          }
          // a failure answered at once, before any item of its chunk needed a fiber (8 starts the second chunk)
          const now = yield* Effect.flip(
            Parallel.map(items, (x) => x === 8 ? new FailNow({ message: "at once" }) : task(x), { chunkSize: 8 })
          )
          assert.instanceOf(now, Oops)
          assert.strictEqual(now.message, "at once")
        }).pipe(Effect.provide(shared)))
    })

    describe("interruption and timeouts", () => {
      it.live("interrupting the caller interrupts the handler in the worker, and returns once it has stopped", () =>
        Effect.gen(function*() {
          const marker = join(tempDir(), "park")
          const fiber = yield* Effect.fork(Parallel.run(new Park({ marker })))
          yield* waitFor("the task to start", () => fileSays(marker) === "started")
          yield* Fiber.interrupt(fiber)
          // no waiting: the handler's finalizer has run in the worker by the time the interruption is done
          assert.strictEqual(fileSays(marker), "interrupted")
        }).pipe(Effect.provide(shared)))

      // (one worker running two tasks at once: both chunks run, wherever the pool would place them)
      it.live("interrupting a map stops its chunks in flight and returns once they have stopped; the rest never start", () =>
        Effect.gen(function*() {
          const dir = tempDir()
          const markers = [0, 1, 2].map((i) => join(dir, `park${i}`))
          const fiber = yield* Effect.fork(
            Parallel.map(markers, (marker) => new Park({ marker }), { chunkSize: 1, concurrency: 2 })
          )
          yield* waitFor("two tasks to start", () => markers.slice(0, 2).every((m) => fileSays(m) === "started"))
          yield* Fiber.interrupt(fiber)
          assert.deepStrictEqual(markers.map(fileSays), ["interrupted", "interrupted", undefined])
        }).pipe(Effect.provide(pool({ size: 1, concurrency: 2 }))))

      it.live("a map's failure stops its other chunks in flight before the map fails", () =>
        Effect.gen(function*() {
          const marker = join(tempDir(), "park")
          const error = yield* Effect.flip(
            Parallel.map(
              [0, 1],
              (i) => i === 0 ? new Park({ marker }) : new FailWhenStarted({ marker, message: "second" }),
              { chunkSize: 1 }
            )
          )
          assert.instanceOf(error, Oops)
          assert.strictEqual(error.message, "second")
          assert.strictEqual(fileSays(marker), "interrupted")
        }).pipe(Effect.provide(pool({ size: 1, concurrency: 2 }))))

      if (kind !== "test") it.live("a task stuck in a synchronous loop gets its worker replaced", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const before = yield* p.run(new WhoAmI())
          const marker = join(tempDir(), "spin")
          const fiber = yield* Effect.fork(p.run(new Spin({ marker })))
          yield* waitFor("the loop to start", () => fileSays(marker) === "started")
          // the loop never yields: the interruption ends when its worker is terminated, after the grace period
          const started = Date.now()
          yield* Fiber.interrupt(fiber)
          assert.isAtLeast(Date.now() - started, 150)
          assert.strictEqual(yield* p.run(new Square({ x: 5 })), 25)
          const after = yield* p.run(new WhoAmI())
          assert.notStrictEqual(after.bootId, before.bootId)
        }).pipe(Effect.provide(pool({ size: 1, interruptGrace: "200 millis" }))))

      if (kind !== "test") it.live("a result is not held back by the task its worker runs next", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const marker = join(tempDir(), "spin")
          // a deep queue: the worker gets Square and Spin in one message, and starts Spin right after Square,
          // synchronously; Square's result must leave before Spin holds the thread (forever)
          const square = yield* p.submit(new Square({ x: 7 }))
          const spin = yield* p.submit(new Spin({ marker }))
          const rest = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (x) => p.submit(new Square({ x })))
          const result = yield* square.await.pipe(Effect.timeout("10 seconds"), Effect.option)
          assert.strictEqual(Option.getOrNull(result), 49)
          yield* waitFor("the loop to start", () => fileSays(marker) === "started")
          yield* spin.interrupt
          // the stuck worker was replaced: the tasks queued behind it still run
          assert.deepStrictEqual(yield* Effect.forEach(rest, (job) => job.await), [1, 4, 9, 16, 25, 36])
        }).pipe(Effect.provide(pool({ size: 1, interruptGrace: "200 millis" }))))

      it.live("a broadcast's timeout stops the task on every worker", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const error = yield* Effect.flip(p.broadcast(new Sleep({ millis: 60_000, value: 1 }), { timeout: "200 millis" }))
          assert.instanceOf(error, Errors.TaskTimeout)
          assert.deepStrictEqual(yield* p.broadcast(new Square({ x: 2 })), [4, 4])
          // on a busy worker it counts from the task's start, after the one running there
          const busy = yield* Effect.fork(p.run(new Sleep({ millis: 400, value: 0 })))
          yield* Effect.sleep("100 millis")
          const done = yield* p.broadcast(new Sleep({ millis: 100, value: 7 }), { timeout: "300 millis" })
          assert.deepStrictEqual(done, [7, 7])
          yield* Fiber.join(busy)
        }).pipe(Effect.timeout("20 seconds"), Effect.provide(pool())))

      it.live("a timeout counts from the task's start, and a stuck task times out", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const first = yield* p.submit(new Sleep({ millis: 400, value: 1 }))
          // queued behind 400 ms of work, then runs 300 ms: within a 1 s timeout only if counted from its start
          assert.strictEqual(yield* p.run(new Sleep({ millis: 300, value: 2 }), { timeout: "1 second" }), 2)
          assert.strictEqual(yield* first.await, 1)
          // many at once: several wait in the worker behind others, each within its timeout from its own start
          const jobs = yield* Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) =>
            p.submit(new Sleep({ millis: 80, value: i }), { timeout: "200 millis" }))
          assert.deepStrictEqual(yield* Effect.forEach(jobs, (job) => job), Array.from({ length: 12 }, (_, i) => i))
          if (kind === "test") return
          const marker = join(tempDir(), "spin")
          const timedOut = yield* Effect.flip(p.run(new Spin({ marker }), { timeout: "200 millis" }))
          assert.instanceOf(timedOut, Errors.TaskTimeout)
          assert.strictEqual(yield* p.run(new Square({ x: 6 })), 36)
        }).pipe(Effect.provide(pool({ size: 1, interruptGrace: "200 millis" }))))

      if (kind !== "test") {
        it.live("a timed task that blocks its worker right after quick ones there still times out", () =>
          Effect.gen(function*() {
            const p = yield* Pool
            // quick runs first: Spin and Square count as short here, so the worker may hold the replies of quick
            // tasks while it starts the next one
            for (let i = 0; i < 3; i++) {
              yield* p.run(new Spin({ marker: "" }))
              yield* p.run(new Square({ x: i }))
            }
            const marker = join(tempDir(), "spin")
            let spinning: Effect.Effect<void, unknown> = Effect.void
            for (let i = 0; i < 12; i++) {
              if (i === 4) spinning = (yield* p.submit(new Spin({ marker }), { timeout: "300 millis" })).await
              else yield* p.submit(new Square({ x: i }))
            }
            assert.instanceOf(yield* Effect.flip(spinning), Errors.TaskTimeout)
            assert.strictEqual(yield* p.run(new Square({ x: 7 })), 49)
          }).pipe(Effect.timeout("20 seconds"), Effect.provide(pool({ size: 1, interruptGrace: "200 millis" }))))
      }

      it.live("a Job can be polled, awaited and interrupted; interrupt returns once the task has stopped", () =>
        Effect.gen(function*() {
          const job = yield* Parallel.submit(new Sleep({ millis: 100, value: 42 }))
          assert.isTrue(Option.isNone(yield* job.poll))
          assert.strictEqual(yield* job.await, 42)
          assert.deepStrictEqual(Option.getOrNull(yield* job.poll), Exit.succeed(42))
          const marker = join(tempDir(), "park")
          const parked = yield* Parallel.submit(new Park({ marker }))
          yield* waitFor("the task to start", () => fileSays(marker) === "started")
          assert.isTrue(Option.isNone(yield* parked.awaitTimeout("20 millis")))
          yield* parked.interrupt
          // no waiting: the worker has run the handler's finalizer by the time interrupt returns
          assert.strictEqual(fileSays(marker), "interrupted")
          const exit = yield* Effect.exit(parked.await)
          assert.isTrue(Exit.isInterrupted(exit))
          assert.isTrue(yield* parked.finished)
          yield* parked.interrupt // again: nothing to do
        }).pipe(Effect.provide(shared)))
    })

    if (kind !== "test") describe("crashes", () => {
      const crashes: Array<["exit" | "uncaught" | "signal", (error: Errors.WorkerCrashed) => void]> = [
        ["exit", (error) => assert.strictEqual(error.exitCode, 3)],
        ["uncaught", (error) => assert.include(error.reason, "uncaught in worker")]
      ]
      if (kind === "process") crashes.push(["signal", (error) => assert.strictEqual(error.signal, "SIGKILL")])
      it.live("with a retry Schedule a task whose worker died runs again on the replacement (run, submit, map)", () =>
        Effect.gen(function*() {
          const p = yield* Pool
          const dir = tempDir()
          const dieOnce = (name: string) => new Die({ how: "exit", code: 3, once: join(dir, name) })
          yield* p.run(dieOnce("run"), { retry: Schedule.recurs(1) })
          yield* (yield* p.submit(dieOnce("submit"), { retry: Schedule.recurs(1) }))
          // a chunk whose worker died runs again whole: each item dies once, so the chunk runs 3 times
          const out = yield* p.map([0, 1], (i) => dieOnce(`map-${i}`), { chunkSize: 2, retry: Schedule.recurs(2) })
          assert.strictEqual(out.length, 2)
          // when the Schedule runs out, the crash reaches the caller
          const always = new Die({ how: "exit", code: 3 })
          assert.instanceOf(yield* Effect.flip(p.run(always, { retry: Schedule.recurs(1) })), Errors.WorkerCrashed)
          assert.strictEqual(yield* p.run(new Square({ x: 3 })), 9)
          // (a bundled worker restarts in a fraction of the time of one that loads TypeScript through tsx)
        }).pipe(Effect.provide(pool({ size: 1, bundle: true }))))

      for (const [how, check] of crashes) {
        it.live(`a worker that dies (${how}) fails only its task, and is replaced with its Layer rebuilt`, () =>
          Effect.gen(function*() {
            const p = yield* Pool
            const before = yield* p.run(new WhoAmI())
            const sleepers = yield* Effect.fork(
              Parallel.map(Array.from({ length: 40 }, (_, i) => i), (i) => new Sleep({ millis: 10, value: i }), {
                chunkSize: 1
              })
            )
            const error = yield* Effect.flip(p.run(new Die({ how, code: 3 })))
            assert.instanceOf(error, Errors.WorkerCrashed)
            assert.strictEqual(error.task, "Die")
            check(error)
            assert.deepStrictEqual(yield* Fiber.join(sleepers), Array.from({ length: 40 }, (_, i) => i))
            const who = yield* p.broadcast(new WhoAmI())
            assert.strictEqual(who.length, 1)
            assert.notStrictEqual(who[0]!.bootId, before.bootId)
          }).pipe(Effect.provide(pool({ size: 1 }))))
      }
    })

    if (kind !== "test") describe("start-up failures", () => {
      const startFails = (module: URL, reason: string) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(Layer.build(makeLayer({ module, size: 2, spawnAttempts: 2 })).pipe(Effect.scoped))
          assert.instanceOf(error, Errors.SpawnError)
          assert.strictEqual((error as Errors.SpawnError).attempts, 2)
          assert.include((error as Errors.SpawnError).reason, reason)
        })

      it.live("a module that throws while loading ends in a SpawnError", () =>
        startFails(fixture("boot-throws.ts"), "this worker module fails to load"))
      it.live("a module that does not exist ends in a SpawnError", () => startFails(fixture("missing.ts"), "missing.ts"))
      it.live("a failing initialisation Layer ends in a SpawnError", () =>
        startFails(fixture("boot-bad-layer.ts"), "the database is unreachable"))
      it.live("a module without a TaskRunner ends in a SpawnError", () =>
        startFails(fixture("no-runner.ts"), "does not default-export a TaskRunner"))

      it.live("a timeout around the creation of a pool whose workers hang works", () =>
        Effect.gen(function*() {
          const result = yield* Layer.build(makeLayer({ module: fixture("boot-hangs.ts"), size: 1 })).pipe(
            Effect.scoped,
            Effect.timeoutOption("1 second")
          )
          assert.isTrue(Option.isNone(result))
        }))
    })

    describe("scale and streams", () => {
      it.live("100,000 run calls forked at once complete through a bounded queue", () =>
        Effect.gen(function*() {
          const n = 100_000
          const results = yield* Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            (x) => Parallel.run(new Square({ x })),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.length, n)
          assert.strictEqual(results[n - 1], (n - 1) ** 2)
        }).pipe(Effect.provide(pool({ maxQueue: 1000 }))), 120_000)

      it.live("a caller waiting for room in the queue behind an isolated task gets in once that task has started", () =>
        Effect.gen(function*() {
          const results = yield* Effect.all([
            Parallel.run(new Square({ x: 2 }), { isolate: true }),
            Parallel.run(new Square({ x: 3 }))
          ], { concurrency: "unbounded" })
          assert.deepStrictEqual(results, [4, 9])
        }).pipe(Effect.timeout("20 seconds"), Effect.provide(pool({ size: 1, maxQueue: 1 }))))

      it.live("a map's or stream's timeout counts for each task, and an infinite one is none", () =>
        Effect.gen(function*() {
          // automatic chunks would hold 5 of these 100 ms tasks (500 ms) each
          const items = Array.from({ length: 40 }, (_, i) => i)
          const slept = yield* Parallel.map(items, (i) => new Sleep({ millis: 100, value: i }), { timeout: "300 millis" })
          assert.deepStrictEqual(slept, items)
          const streamed = yield* Stream.runCollect(
            Parallel.stream(items.slice(0, 10), (i) => new Sleep({ millis: 100, value: i }), { chunkSize: 5, timeout: "300 millis" })
          )
          assert.deepStrictEqual(Chunk.toArray(streamed), items.slice(0, 10))
          assert.strictEqual(yield* Parallel.run(new Square({ x: 2 }), { timeout: Duration.infinity }), 4)
          assert.deepStrictEqual(yield* Parallel.map([1, 2], (x) => new Square({ x }), { timeout: "30 days" }), [1, 4])
        }).pipe(Effect.provide(shared)))

      it.live("a stream's input failure comes after the results of the items read before it; each run counts afresh", () =>
        Effect.gen(function*() {
          const input = Stream.concat(Stream.make(1, 2, 3), Stream.fail("input failed"))
          const out = yield* Stream.runCollect(
            Stream.either(Parallel.stream(input, (x) => new Square({ x }), { chunkSize: 4 }))
          )
          assert.deepStrictEqual(Chunk.toArray(out), [Either.right(1), Either.right(4), Either.right(9), Either.left("input failed")])

          const progress: Array<number> = []
          const twice = Parallel.stream([1, 2, 3], (x) => new Square({ x }), {
            onProgress: ({ done }) => progress.push(done)
          })
          yield* Stream.runDrain(twice)
          yield* Stream.runDrain(twice)
          assert.deepStrictEqual(progress.slice(progress.length / 2), progress.slice(0, progress.length / 2))
          assert.strictEqual(progress.at(-1), 3)
        }).pipe(Effect.provide(shared)))

      it.live("a wrong chunkSize or concurrency is a defect that says which", () =>
        Effect.gen(function*() {
          for (const options of [{ chunkSize: Number.NaN }, { chunkSize: 0 }, { chunkSize: Infinity }, { concurrency: 0 }]) {
            const exit = yield* Effect.exit(Parallel.map([1, 2], (x) => new Square({ x }), options))
            assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
            assert.include(String(Exit.isFailure(exit) ? Cause.squash(exit.cause) : ""), Object.keys(options)[0]!)
            const streamed = yield* Effect.exit(Stream.runDrain(Parallel.stream([1, 2], (x) => new Square({ x }), options)))
            assert.isTrue(Exit.isFailure(streamed) && Cause.isDie(streamed.cause))
          }
        }).pipe(Effect.provide(shared)))

      it.live("stream and map keep input order; streamUnordered carries indexes", () =>
        Effect.gen(function*() {
          const items = Array.from({ length: 1000 }, (_, i) => i)
          const ordered = yield* Stream.runCollect(Parallel.stream(items, (x) => new Square({ x }), { chunkSize: 7 }))
          assert.deepStrictEqual(Chunk.toArray(ordered), items.map((x) => x * x))
          const unordered = yield* Stream.runCollect(
            Parallel.streamUnordered(items, (x) => new Sleep({ millis: x % 3, value: x }), { chunkSize: 1 })
          )
          assert.deepStrictEqual(Chunk.toArray(unordered).map((r) => r.index).sort((a, b) => a - b), items)
          for (const r of unordered) assert.strictEqual(r.value, r.index)
        }).pipe(Effect.provide(shared)))

      it.live("an infinite Stream through stream with take(n) finishes", () =>
        Effect.gen(function*() {
          const naturals = Stream.iterate(0, (n) => n + 1)
          const out = yield* Parallel.stream(naturals, (x) => new Square({ x })).pipe(Stream.take(5000), Stream.runCollect)
          assert.strictEqual(out.length, 5000)
          assert.strictEqual(Chunk.unsafeGet(out, 4999), 4999 ** 2)
          function* forever() {
            for (let i = 0;; i++) yield i
          }
          const fromGenerator = yield* Parallel.stream(forever(), (x) => new Square({ x })).pipe(
            Stream.take(100),
            Stream.runCollect
          )
          assert.strictEqual(Chunk.unsafeGet(fromGenerator, 99), 99 ** 2)
        }).pipe(Effect.provide(shared)))

      it.live("a failure in map fails the map with the task's error", () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            Parallel.map([1, 2, 3, 4, 5], (x) => x === 4 ? new Fail({ message: `bad ${x}` }) : new Fail({ message: "" }), {
              chunkSize: 2
            })
          )
          assert.instanceOf(error, Oops)
          // a throw from the caller's own code (its function, its onProgress) is the map's defect; the pool goes on
          const fromF = yield* Effect.exit(Parallel.map([1, 2, 3], (x): Square => {
            if (x === 2) throw new Error("no task for 2")
            return new Square({ x })
          }, { chunkSize: 1 }))
          assert.isTrue(Exit.isFailure(fromF) && Cause.isDie(fromF.cause))
          const fromProgress = yield* Effect.exit(Parallel.map([1, 2, 3], (x) => new Square({ x }), {
            onProgress: () => {
              throw new Error("progress")
            }
          }))
          assert.isTrue(Exit.isFailure(fromProgress) && Cause.isDie(fromProgress.cause))
          assert.deepStrictEqual(yield* Parallel.map([1, 2, 3], (x) => new Square({ x })), [1, 4, 9])
        }).pipe(Effect.provide(shared)))
    })

    if (kind !== "test") describe("scope", () => {
      it.live("closing the pool's scope interrupts in-flight tasks and ends every worker", () =>
        Effect.gen(function*() {
          // a first pool warms up whatever threads Node starts lazily
          yield* Layer.build(pool()).pipe(Effect.scoped)
          const threadsBefore = threadCount()
          const scope = yield* Scope.make()
          const context = yield* Layer.buildWithScope(pool(), scope)
          const p = Effect.runSync(Effect.provide(Pool, context))
          const who = yield* p.broadcast(new WhoAmI())
          const dir = tempDir()
          const markers = [join(dir, "a"), join(dir, "b")]
          for (const marker of markers) yield* p.submit(new Park({ marker }))
          for (const marker of markers) yield* waitFor("the task to start", () => fileSays(marker) === "started")
          if (kind === "thread") assert.isAbove(threadCount(), threadsBefore)
          yield* Scope.close(scope, Exit.void)
          for (const marker of markers) assert.strictEqual(fileSays(marker), "interrupted")
          if (kind === "process") {
            for (const w of who) assert.isFalse(isAlive(w.pid), `process ${w.pid} still runs`)
          } else {
            yield* waitFor("the threads to end", () => threadCount() <= threadsBefore)
          }
          const closed = yield* Effect.flip(p.run(new Square({ x: 1 })))
          assert.instanceOf(closed, Errors.PoolClosed)

          // a task waiting for its isolated worker to start, when the pool closes
          const scope2 = yield* Scope.make()
          const p2 = Effect.runSync(Effect.provide(Pool, yield* Layer.buildWithScope(pool(), scope2)))
          const isolated = yield* Effect.fork(p2.run(new Square({ x: 2 }), { isolate: true }))
          yield* Effect.yieldNow()
          yield* Scope.close(scope2, Exit.void)
          const result = yield* Fiber.await(isolated)
          assert.isTrue(
            Exit.isSuccess(result) ||
              Exit.isFailure(result) && Cause.squash(result.cause) instanceof Errors.PoolClosed
          )
        }))
    })
  })
