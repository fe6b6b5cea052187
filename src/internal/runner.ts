import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as PlatformTransferable from "@effect/platform/Transferable"
import { PlatformRunner } from "@effect/platform/WorkerRunner"
import type { WorkerError } from "@effect/platform/WorkerError"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as v8 from "node:v8"
import * as WorkerThreads from "node:worker_threads"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type { TaskRunner } from "../workers/TaskRunner.js"
import { describeCause, isDone, makeExecutor, parentSpanOf } from "./executor.js"
import * as IdleSpin from "./idleSpin.js"
import type { WorkerPort } from "./port.js"
import * as Wire from "./wire.js"

export const ServeSymbol: unique symbol = Symbol.for("effect-parallel/TaskRunner/serve")

/** What the pool tells each worker it starts. */
export interface WorkerConfig {
  readonly concurrency: number
  readonly module: string
  /** Ask to be replaced once the V8 heap passes this many bytes after a task. */
  readonly maxHeapBytes: number | undefined
  /** How long, at most, an idle worker thread polls its port before it sleeps (0: never). */
  readonly idleSpinMicros: number
  /**
   * Worker threads that spin: a flag per worker (Int32s shared by the workers of every pool of the process), set
   * while it is busy or spinning. A worker spins only while the others' flags leave a core to the main thread.
   */
  readonly activity: SharedArrayBuffer | undefined
  /** This worker's flag in `activity`; -1 for none (it never spins). */
  readonly activitySlot: number
  /** Its pool's flag (one Int32), set while the pool has one task in flight and none queued. */
  readonly sequential: SharedArrayBuffer | undefined
}

interface Job {
  readonly id: number
  readonly kind: typeof Wire.REQ_RUN | typeof Wire.REQ_CHUNK | typeof Wire.REQ_CHANNEL
  readonly payload: unknown
  readonly span: Wire.SpanContext | undefined
  /** Channel messages that arrived before the task started. */
  readonly early: Array<Wire.Request>
  /** How long tasks like this one took lately (by tag, single tasks and chunks apart); none for channels. */
  readonly typical: Map<unknown, number> | undefined
  readonly tag: unknown
  /** It has a timeout on the main side, which starts when the replies before it arrive there. */
  readonly timed: boolean
}

const resolved = Promise.resolve()

/**
 * Replies are batched into one message per microtask, but a worker starts its next queued task synchronously, before
 * that microtask runs. The replies waiting are sent first unless the oldest (counted from its task's start) would
 * still have waited less than this once the next task ends, as long as such tasks typically take (a task of a kind
 * not seen yet could hold the thread, and the replies, for long). Fewer, larger messages spare the main thread: an
 * age limit of 0.5 ms cost 1a ~12%, one of 2 ms ~4%.
 */
const REPLY_WAIT_MS = 5

/** How long a polling worker may serve tasks without a turn of its event loop (see `flushThenSpin`). */
const INLINE_POLL_MS = 1

export const serve = (runner: TaskRunner<unknown>, config: WorkerConfig): void => {
  const program = Effect.gen(function*() {
    const platform = yield* PlatformRunner
    const closeLatch = yield* Deferred.make<void, WorkerError>()
    const backing = yield* platform.start<ReadonlyArray<Wire.Request>, Wire.Message>(closeLatch)
    const scope = yield* Effect.scope

    const context = yield* Layer.buildWithScope(runner.layer, scope).pipe(
      Effect.catchAllCause((cause) =>
        backing.send(0, [Wire.MSG_BOOT_FAILED, `the initialisation Layer failed: ${describeCause(cause)}`]).pipe(
          Effect.zipRight(Effect.failCause(cause))
        )
      )
    )
    // Task fibers run without Effect's runtime metrics (fiber counts and lifetimes, on by default): nobody outside
    // the worker can read them, and updating them takes a quarter of a fiber's start and end (0.6 -> 0.46 µs
    // warm; 8.9 -> 7.4 µs over the first 200 fibers, before V8 optimises).
    const runtime = yield* Effect.runtime<never>().pipe(
      Effect.map(Runtime.updateContext((ctx) => Context.merge(ctx, context))),
      Effect.map(Runtime.disableRuntimeFlag(RuntimeFlags.RuntimeMetrics))
    )
    const runFork = Runtime.runFork(runtime)
    // with Effect's own tracer (nothing in the Layer installed another), a handler's bare Effect.sync needs no fiber
    const executor = makeExecutor(
      runner,
      config.module,
      Runtime.runSync(runtime)(Effect.tracer) === Effect.runSync(Effect.tracer)
    )
    // A task's fiber starts with its own Collector (its handler hands buffers back with Transferable.addAll) and
    // the caller's span in its context: Effect.provideService would cost a scoped FiberRef change per task
    // (~10 KB of garbage and ~15 µs).
    const runForkWith = (
      effect: Effect.Effect<Wire.WireExit | Wire.ChunkExit, never, unknown>,
      collector: PlatformTransferable.CollectorService,
      span: Wire.SpanContext | undefined
    ) => {
      const context = Context.add(runtime.context, PlatformTransferable.Collector, collector)
      return Runtime.runFork(
        Runtime.make({
          context: span === undefined ? context : Context.add(context, Tracer.ParentSpan, parentSpanOf(span)),
          runtimeFlags: runtime.runtimeFlags,
          fiberRefs: runtime.fiberRefs
        }),
        effect as Effect.Effect<Wire.WireExit | Wire.ChunkExit>
      )
    }

    const queue: Array<Job> = []
    let queueHead = 0
    const queued = new Map<number, Job>()
    const running = new Map<number, Fiber.RuntimeFiber<Wire.WireExit | Wire.ChunkExit, never>>()
    let outbox: Array<Wire.Reply> = []
    let outboxTransfers: Array<ReadonlyArray<unknown> | undefined> = []
    let transferCount = 0
    let flushScheduled = false
    // When the oldest reply in the outbox was started (its task's start, or the post itself).
    let outboxSince = 0

    // Straight to the port, in the platform runner's framing ([1, data]): this saves an Effect run per flush.
    const parentPort = WorkerThreads.parentPort
    const send = (replies: ReadonlyArray<Wire.Reply>, transfers?: ReadonlyArray<unknown>): boolean => {
      try {
        if (parentPort !== null) {
          parentPort.postMessage(
            [1, [Wire.MSG_REPLIES, replies]],
            (transfers === undefined ? undefined : Wire.sendableTransfers(transfers)) as Array<WorkerThreads.TransferListItem>
          )
        } else {
          process.send!([1, [Wire.MSG_REPLIES, replies]])
        }
        return true
      } catch (error) {
        lastError = error
        return false
      }
    }
    let lastError: unknown
    const flush = () => {
      flushScheduled = false
      if (outbox.length === 0) return
      const replies = outbox
      const transfers = outboxTransfers
      const hasTransfers = transferCount > 0
      outbox = []
      outboxTransfers = []
      transferCount = 0
      if (send(replies, hasTransfers ? transfers.flatMap((t) => t ?? []) : undefined)) return
      // A result that cannot be cloned (a SharedArrayBuffer to a child process) fails its own task only.
      for (let i = 0; i < replies.length; i++) {
        const reply = replies[i]!
        const id = reply[0]
        // A channel task that lost an output fails with that reason; the outputs after it are dropped.
        const lost = failedOutside.get(id)
        if (lost !== undefined) {
          // its final reply, posted before that output failed here
          if (reply.length === 2) {
            failedOutside.delete(id)
            send([[id, [Wire.EXIT_DECODE, lost]]])
          }
          continue
        }
        if (send([reply], transfers[i])) continue
        const reason = Wire.describeError(lastError)
        if (reply.length === 2) {
          send([[id, [Wire.EXIT_DECODE, `the result could not be sent back: ${reason}`]]])
          continue
        }
        failChannel(id, `an output could not be sent back: ${reason}`)
      }
    }
    // Channel tasks that failed outside their handler (an output that could not be sent, an input that failed its
    // Schema), with the reason their caller gets (a DecodeError) once their fiber has stopped.
    const failedOutside = new Map<number, string>()
    const failChannel = (id: number, reason: string) => {
      if (failedOutside.has(id)) return
      failedOutside.set(id, reason)
      running.get(id)?.unsafeInterruptAsFork(FiberId.none)
    }
    const post = (reply: Wire.Reply, transfers?: ReadonlyArray<unknown>, since?: number) => {
      if (outbox.length === 0) outboxSince = since ?? performance.now()
      outbox.push(reply)
      outboxTransfers.push(transfers)
      if (transfers !== undefined) transferCount += transfers.length
      if (!flushScheduled) {
        flushScheduled = true
        resolved.then(flushThenSpin)
      }
    }
    const reply = (id: number, result: Wire.WireExit | Wire.ChunkExit) => post([id, result])

    let retiring = false
    const checkHeap = () => {
      if (config.maxHeapBytes === undefined || retiring) return
      const used = v8.getHeapStatistics().used_heap_size
      if (used <= config.maxHeapBytes) return
      retiring = true
      Effect.runSync(backing.send(0, [Wire.MSG_RETIRE, `heap ${used} bytes > ceiling ${config.maxHeapBytes}`]))
    }

    const ports = new Map<number, WorkerPort>()
    const feed = (port: WorkerPort, request: Wire.Request) => {
      switch (request[0]) {
        case Wire.REQ_INPUT:
          return port.deliver(request[2])
        case Wire.REQ_END_INPUT:
          return port.end()
        case Wire.REQ_CREDIT:
          return port.grant(request[2] as number)
      }
    }

    // How long the tasks of each tag took lately, in ms (a moving average), for single tasks and for chunks.
    const typicalRunMs = new Map<unknown, number>()
    const typicalChunkMs = new Map<unknown, number>()
    const expectedMs = (job: Job): number => job.typical?.get(job.tag) ?? Infinity

    const start = (job: Job) => {
      const startedAt = performance.now()
      let effect: Effect.Effect<Wire.WireExit | Wire.ChunkExit, never, unknown>
      let collector: PlatformTransferable.CollectorService | undefined
      if (job.kind === Wire.REQ_CHANNEL) {
        const [channel, port] = executor.runChannel(job.payload, job.span, {
          output: (value) => post([job.id, Wire.EVENT_OUTPUT, value]),
          credit: (n) => post([job.id, Wire.EVENT_CREDIT, n]),
          reject: (reason) => failChannel(job.id, reason)
        })
        effect = channel
        if (port !== undefined) {
          ports.set(job.id, port)
          for (const request of job.early) feed(port, request)
        }
      } else {
        const started = executor.run(job.kind === Wire.REQ_CHUNK, job.payload, undefined)
        // its handlers answered at once: no fiber to run (the caller's pump goes on with the next task)
        if (isDone(started)) return finish(job, startedAt, started, undefined)
        collector = PlatformTransferable.unsafeMakeCollector()
        effect = started
      }
      const fiber = collector === undefined
        ? runFork(effect as Effect.Effect<Wire.WireExit | Wire.ChunkExit>)
        : runForkWith(effect, collector, job.span)
      running.set(job.id, fiber)
      // an early input that failed its Schema has failed the task already
      if (failedOutside.has(job.id)) fiber.unsafeInterruptAsFork(FiberId.none)
      fiber.addObserver((exit) => {
        running.delete(job.id)
        ports.delete(job.id)
        finish(
          job,
          startedAt,
          Exit.isSuccess(exit)
            ? exit.value
            : Cause.isInterruptedOnly(exit.cause)
            ? [Wire.EXIT_INTERRUPT]
            : [Wire.EXIT_DIE, Wire.encodeDefect(Cause.squash(exit.cause))],
          collector?.unsafeRead()
        )
        pump()
      })
    }

    const finish = (
      job: Job,
      startedAt: number,
      result: Wire.WireExit | Wire.ChunkExit,
      transfers: ReadonlyArray<unknown> | undefined
    ) => {
      if (job.typical !== undefined) {
        const took = performance.now() - startedAt
        const previous = job.typical.get(job.tag)
        job.typical.set(job.tag, previous === undefined ? took : previous * 0.75 + took * 0.25)
      }
      checkHeap()
      const unsent = failedOutside.get(job.id)
      if (unsent !== undefined) failedOutside.delete(job.id)
      let out = transfers !== undefined && transfers.length > 0 ? transfers : undefined
      // to the main thread, a result moves the buffers its Schema declares (Task.transferable), and a large buffer
      // goes as a copy that is moved, not cloned (the handler may still hold the one it returned)
      if (parentPort !== null && unsent === undefined) {
        // (a chunk of columns is of one class, its tag's; any other chunk may mix classes)
        if (job.kind === Wire.REQ_CHUNK && Array.isArray(job.payload)) {
          const tagAt = Wire.chunkTagAt(job.payload as Wire.ChunkPayload)
          ;[result, out] = Wire.sendingResult((index) => executor.codecOf(tagAt(index)), result, out)
        } else {
          const codec = executor.codecOf(job.tag)
          if (Wire.sendsSuccess(codec)) [result, out] = Wire.sendingResult(() => codec, result, out)
        }
      }
      post([job.id, unsent !== undefined ? [Wire.EXIT_DECODE, unsent] : result], out, startedAt)
    }

    const pump = () => {
      while (running.size < config.concurrency && queueHead < queue.length) {
        const job = queue[queueHead]!
        queue[queueHead++] = undefined as never
        if (!queued.delete(job.id)) continue
        // A task started here runs before the microtask that flushes the outbox (see REPLY_WAIT_MS).
        if (outbox.length > 0 && (job.timed || performance.now() - outboxSince + expectedMs(job) >= REPLY_WAIT_MS)) flush()
        start(job)
      }
      if (queueHead === queue.length) {
        queue.length = 0
        queueHead = 0
      }
    }

    // After a reply, a worker with nothing left to run may poll for its next task (the `idleSpin` option).
    const idleSpin = IdleSpin.make(config)
    const idle = () => running.size === 0 && queueHead === queue.length
    const onFrame = (frame: IdleSpin.Frame) => {
      if (frame[0] === 0) return onMessage(0, frame[1] as ReadonlyArray<Wire.Request>)
      // the platform runner's close message
      parentPort?.close()
      Deferred.unsafeDone(closeLatch, Exit.void)
    }
    // A task caught by a poll runs and replies synchronously, and the next poll follows in the same microtask
    // checkpoint: a worker serving a quick sequential caller would never get back to its event loop, and its
    // timers, I/O and stdout would wait for as long as the caller goes on. So it starts polls here for
    // INLINE_POLL_MS in a row at most (each lasts up to one window); then its next poll waits for a turn of the
    // event loop (polling only after each turn costs the round trip of a tiny task ~40 µs here: 28 -> 70 µs).
    let inlineSince = -1
    const loopTurned = () => {
      inlineSince = -1
    }
    let pollScheduled = false
    const poll = () => {
      pollScheduled = false
      if (idle()) idleSpin.idle(onFrame)
    }
    const flushThenSpin = () => {
      flush()
      if (!idle()) return
      const now = performance.now()
      if (inlineSince >= 0 && now - inlineSince >= INLINE_POLL_MS) {
        if (!pollScheduled) {
          pollScheduled = true
          setImmediate(poll)
        }
        return
      }
      // a worker that does not poll goes back to its event loop at once: nothing to count then
      if (!idleSpin.idle(onFrame) || inlineSince >= 0) return
      inlineSince = now
      setImmediate(loopTurned)
    }

    const onMessage = (_port: number, requests: ReadonlyArray<Wire.Request>) => {
      idleSpin.received()
      for (const request of requests) {
        switch (request[0]) {
          case Wire.REQ_INTERRUPT: {
            if (queued.delete(request[1])) {
              reply(request[1], [Wire.EXIT_INTERRUPT])
            } else {
              running.get(request[1])?.unsafeInterruptAsFork(FiberId.none)
            }
            continue
          }
          case Wire.REQ_INPUT:
          case Wire.REQ_END_INPUT:
          case Wire.REQ_CREDIT: {
            const port = ports.get(request[1])
            if (port !== undefined) feed(port, request)
            else queued.get(request[1])?.early.push(request)
            continue
          }
          default: {
            const kind = request[0]
            const payload = request[2]
            const job: Job = {
              id: request[1],
              kind,
              payload,
              span: request[3],
              timed: request[4] === 1,
              early: [],
              typical: kind === Wire.REQ_RUN ? typicalRunMs : kind === Wire.REQ_CHUNK ? typicalChunkMs : undefined,
              tag: kind === Wire.REQ_CHUNK ? Wire.chunkTag(payload as Wire.ChunkPayload) : Wire.encodedTag(payload)
            }
            queued.set(job.id, job)
            queue.push(job)
          }
        }
      }
      pump()
      // a message that leaves nothing to run (an interrupt of a finished task) ends this worker's activity
      if (idle() && outbox.length === 0) idleSpin.quiet()
    }

    yield* Scope.addFinalizer(
      scope,
      Effect.suspend(() => {
        queued.clear()
        return Fiber.interruptAll(Array.from(running.values()))
      })
    )
    yield* backing.run<never, never, never>(onMessage)
    yield* Deferred.await(closeLatch)
  }).pipe(Effect.scoped, Effect.provide(NodeWorkerRunner.layer))

  Effect.runFork(program).addObserver((exit) => {
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
      process.exitCode = 1
    }
    // Let pending messages drain, then end the thread or process even if user code left handles open.
    setImmediate(() => process.exit())
  })
}
