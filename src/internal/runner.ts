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
import * as v8 from "node:v8"
import * as WorkerThreads from "node:worker_threads"
import * as Scope from "effect/Scope"
import type { TaskRunner } from "../workers/TaskRunner.js"
import { describeCause, makeExecutor } from "./executor.js"
import type { WorkerPort } from "./port.js"
import * as Wire from "./wire.js"

export const ServeSymbol: unique symbol = Symbol.for("effect-parallel/TaskRunner/serve")

/** What the pool tells each worker it starts. */
export interface WorkerConfig {
  readonly concurrency: number
  readonly module: string
  /** Ask to be replaced once the V8 heap passes this many bytes after a task. */
  readonly maxHeapBytes: number | undefined
}

interface Job {
  readonly id: number
  readonly kind: typeof Wire.REQ_RUN | typeof Wire.REQ_CHUNK | typeof Wire.REQ_CHANNEL
  readonly payload: unknown
  readonly span: Wire.SpanContext | undefined
  /** Channel messages that arrived before the task started. */
  readonly early: Array<Wire.Request>
}


const resolved = Promise.resolve()

export const serve = (runner: TaskRunner<unknown>, config: WorkerConfig): void => {
  const executor = makeExecutor(runner, config.module)

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
    const runtime = yield* Effect.runtime<never>().pipe(
      Effect.map(Runtime.updateContext((ctx) => Context.merge(ctx, context)))
    )
    const runFork = Runtime.runFork(runtime)

    const queue: Array<Job> = []
    let queueHead = 0
    const queued = new Map<number, Job>()
    const running = new Map<number, Fiber.RuntimeFiber<Wire.WireExit | Wire.ChunkExit, never>>()
    let outbox: Array<Wire.Reply> = []
    let outboxTransfers: Array<ReadonlyArray<unknown> | undefined> = []
    let transferCount = 0
    let flushScheduled = false

    // Straight to the port, in the platform runner's framing ([1, data]): this saves an Effect run per flush.
    const parentPort = WorkerThreads.parentPort
    const send = (replies: ReadonlyArray<Wire.Reply>, transfers?: ReadonlyArray<unknown>): boolean => {
      try {
        if (parentPort !== null) {
          parentPort.postMessage([1, [Wire.MSG_REPLIES, replies]], transfers as Array<WorkerThreads.TransferListItem>)
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
        if (send([reply], transfers[i]) || reply.length !== 2) continue
        const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError)
        send([[reply[0], [Wire.EXIT_DECODE, `the result could not be sent back: ${reason}`]]])
      }
    }
    const post = (reply: Wire.Reply, transfers?: ReadonlyArray<unknown>) => {
      outbox.push(reply)
      outboxTransfers.push(transfers)
      if (transfers !== undefined) transferCount += transfers.length
      if (!flushScheduled) {
        flushScheduled = true
        resolved.then(flush)
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

    const start = (job: Job) => {
      let effect: Effect.Effect<Wire.WireExit | Wire.ChunkExit, never, unknown>
      let collector: PlatformTransferable.CollectorService | undefined
      if (job.kind === Wire.REQ_CHANNEL) {
        const [channel, port] = executor.runChannel(job.payload, job.span, {
          output: (value) => post([job.id, Wire.EVENT_OUTPUT, value]),
          credit: (n) => post([job.id, Wire.EVENT_CREDIT, n])
        })
        effect = channel
        if (port !== undefined) {
          ports.set(job.id, port)
          for (const request of job.early) feed(port, request)
        }
      } else {
        collector = PlatformTransferable.unsafeMakeCollector()
        effect = executor.run(job.kind === Wire.REQ_CHUNK, job.payload, job.span, collector)
      }
      const fiber = runFork(effect as Effect.Effect<Wire.WireExit | Wire.ChunkExit>)
      running.set(job.id, fiber)
      fiber.addObserver((exit) => {
        running.delete(job.id)
        ports.delete(job.id)
        checkHeap()
        const transfers = collector?.unsafeRead()
        post(
          [
            job.id,
            Exit.isSuccess(exit)
              ? exit.value
              : Cause.isInterruptedOnly(exit.cause)
              ? [Wire.EXIT_INTERRUPT]
              : [Wire.EXIT_DIE, Wire.encodeDefect(Cause.squash(exit.cause))]
          ],
          transfers !== undefined && transfers.length > 0 ? transfers : undefined
        )
        pump()
      })
    }

    const pump = () => {
      while (running.size < config.concurrency && queueHead < queue.length) {
        const job = queue[queueHead]!
        queue[queueHead++] = undefined as never
        if (!queued.delete(job.id)) continue
        start(job)
      }
      if (queueHead === queue.length) {
        queue.length = 0
        queueHead = 0
      }
    }

    const onMessage = (_port: number, requests: ReadonlyArray<Wire.Request>) => {
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
            const job: Job = { id: request[1], kind: request[0], payload: request[2], span: request[3], early: [] }
            queued.set(job.id, job)
            queue.push(job)
          }
        }
      }
      pump()
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
