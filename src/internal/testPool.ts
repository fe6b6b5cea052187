import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import type * as Context from "effect/Context"
import { EncodeError, PoolClosed, SpawnError, TaskTimeout, WorkerCrashed, type WorkerPoolError } from "../Errors.js"
import type { TaskRunner } from "../workers/TaskRunner.js"
import { Admission } from "./admission.js"
import { Deque } from "./deque.js"
import { describeCause, makeExecutor, toEffect } from "./executor.js"
import {
  type Cancel,
  type ChannelEvents,
  type ChannelMessage,
  type Core,
  type CoreRequest,
  type CoreResult,
  stoppedAlready
} from "./core.js"
import type { WorkerPort } from "./port.js"
import * as Wire from "./wire.js"
import * as Metrics from "./metrics.js"
import { seeded } from "./random.js"

export interface TestCoreOptions {
  readonly size: number
  readonly concurrency: number
  readonly maxQueue: number
  readonly spawnAttempts: number
  readonly seed: number
  readonly latencyMs: ((tag: string, index: number) => number) | undefined
  readonly crashOn: ReadonlySet<number>
  readonly slowMs: ReadonlyMap<number, number>
  readonly failSpawns: number
}

export interface Assignment {
  readonly index: number
  readonly task: string
  readonly worker: number
}

export interface Stats {
  readonly spawns: number
  readonly replacements: number
  readonly started: number
  readonly completed: number
  readonly inFlight: number
  readonly queued: number
  readonly peakConcurrency: number
}

export interface Inspector {
  readonly seed: number
  readonly assignments: Effect.Effect<ReadonlyArray<Assignment>>
  readonly stats: Effect.Effect<Stats>
}

interface SimWorker {
  readonly id: number
  readonly scope: Scope.CloseableScope
  readonly context: Context.Context<never>
  readonly jobs: Set<SimJob>
  alive: boolean
  isolated: boolean
}

interface SimJob {
  readonly request: CoreRequest
  readonly payload: unknown
  readonly resolve: (result: CoreResult) => void
  readonly events: ChannelEvents | undefined
  readonly early: Array<ChannelMessage>
  port: WorkerPort | undefined
  readonly pinned: SimWorker | undefined
  done: boolean
  queued: boolean
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
}

/** Most handler completions are reordered by up to this many scheduler yields, drawn from the seed. */
const MAX_YIELDS = 8

export const makeTestCore = (
  runner: TaskRunner<never>,
  options: TestCoreOptions
): Effect.Effect<readonly [Core, Inspector], SpawnError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const executor = makeExecutor(runner as TaskRunner<unknown>, "TestWorkerPool")
    const random = seeded(options.seed)
    const metrics = Metrics.makeRecorder("TestWorkerPool")
    const slots: Array<SimWorker | undefined> = new Array(options.size).fill(undefined)
    const queue = new Deque<SimJob>()
    // isolated tasks wait apart: each takes a fresh worker of its own (at most `size` at once), no pooled slot
    const isolatedQueue = new Deque<SimJob>()
    let isolatedRunning = 0
    // workers outside the slots (isolated ones, and ones a resize removed) until they end: a close ends them too
    const outside = new Set<SimWorker>()
    let queued = 0
    const admission = new Admission(options.maxQueue)
    const assignments: Array<Assignment> = []
    let nextWorkerId = 0
    let spawnCalls = 0
    let spawns = 0
    let replacements = 0
    let started = 0
    let completed = 0
    let running = 0
    let peak = 0
    let closed = false
    let broken: SpawnError | undefined

    const spawnOnce = Effect.suspend(() => {
      const attempt = ++spawnCalls
      if (attempt <= options.failSpawns) {
        return Effect.fail(`injected spawn failure (spawn #${attempt})`)
      }
      return Effect.flatMap(Scope.make(), (scope) =>
        Layer.buildWithScope(runner.layer, scope).pipe(
          Effect.catchAllCause((cause) =>
            Effect.zipRight(
              Scope.close(scope, Exit.void),
              Effect.fail(`the initialisation Layer failed: ${describeCause(cause)}`)
            )
          ),
          Effect.map((context): SimWorker => {
            spawns++
            return { id: nextWorkerId++, scope, context, jobs: new Set(), alive: true, isolated: false }
          })
        ))
    })

    const spawn = (failures = 0): Effect.Effect<SimWorker, SpawnError> =>
      Effect.catchAll(spawnOnce, (reason) =>
        failures + 1 >= options.spawnAttempts
          ? Effect.fail(new SpawnError({ module: "TestWorkerPool", attempts: failures + 1, reason }))
          : spawn(failures + 1))

    const resolveJob = (job: SimJob, result: CoreResult) => {
      if (job.done) return
      job.done = true
      job.resolve(result)
    }

    /** A task fails outside its handler (a message that could not cross): its caller gets `result`, and it stops. */
    const failTask = (job: SimJob, result: CoreResult) => {
      resolveJob(job, result)
      job.fiber?.unsafeInterruptAsFork(FiberId.none)
    }

    const crash = (worker: SimWorker, index: number) => {
      worker.alive = false
      const slot = slots.indexOf(worker)
      if (slot >= 0) slots[slot] = undefined
      for (const job of worker.jobs) {
        if (!job.done) metrics.failed("WorkerCrashed")
        resolveJob(
          job,
          new WorkerCrashed({
            workerId: worker.id,
            task: job.request.tag,
            exitCode: 1,
            reason: `injected crash (task #${index})`
          })
        )
        if (job.fiber === undefined) {
          running--
          if (worker.isolated) isolatedRunning--
        } else job.fiber.unsafeInterruptAsFork(FiberId.none)
      }
      worker.jobs.clear()
      outside.delete(worker)
      runFork(Scope.close(worker.scope, Exit.void))
      if (closed) return
      if (slot < 0) return dispatch()
      runFork(Effect.match(spawn(), {
        onFailure: (error) => {
          if (slots.every((s) => s === undefined)) {
            broken = error
            failQueued(error)
          }
        },
        onSuccess: (replacement) => {
          replacements++
          slots[slot] = replacement
          dispatch()
        }
      }))
    }

    const failQueued = (error: WorkerPoolError | ((tag: string) => WorkerPoolError)) => {
      let job: SimJob | undefined
      while ((job = queue.shift() ?? isolatedQueue.shift()) !== undefined) {
        if (!job.queued) continue
        job.queued = false
        resolveJob(job, typeof error === "function" ? error(job.request.tag) : error)
      }
      queued = 0
      admission.releaseAll()
    }

    const start = (worker: SimWorker, job: SimJob) => {
      // the caller's start callback: one that throws ends its task with that defect, as in a real pool
      try {
        job.request.onStart?.()
      } catch (error) {
        resolveJob(job, [Wire.EXIT_DIE, Wire.encodeDefect(error)])
        // a pooled worker's dispatch loop goes on with the next task; an isolated worker is discarded
        if (worker.isolated) {
          isolatedRunning--
          outside.delete(worker)
          runFork(Scope.close(worker.scope, Exit.void))
          dispatch()
        }
        return
      }
      const index = ++started
      const startedAt = performance.now()
      metrics.started(1)
      assignments.push({ index, task: job.request.tag, worker: worker.id })
      worker.jobs.add(job)
      running++
      peak = Math.max(peak, running)
      if (options.crashOn.has(index)) return crash(worker, index)
      const delayMs = (options.latencyMs?.(job.request.tag, index) ?? 0) + (options.slowMs.get(index) ?? 0)
      const yields = Math.floor(random() * MAX_YIELDS)
      let effect: Effect.Effect<CoreResult, never, unknown>
      if (job.events !== undefined) {
        const events = job.events
        const [channel, port] = executor.runChannel(job.payload, job.request.span, {
          output: (value) => {
            let cloned: unknown
            try {
              cloned = structuredClone(value)
            } catch (error) {
              // as a real worker's runner does: the task fails with the reason, and stops
              return failTask(job, [Wire.EXIT_DECODE, `an output could not be sent back: ${Wire.describeError(error)}`])
            }
            events.output(cloned)
          },
          credit: events.credit,
          reject: (reason) => failTask(job, [Wire.EXIT_DECODE, reason])
        })
        effect = channel
        job.port = port
        if (port !== undefined) for (const message of job.early.splice(0)) feed(job, port, message)
      } else {
        effect = Effect.suspend(() => toEffect(executor.run(job.request.chunk, job.payload, job.request.span)))
      }
      if (delayMs > 0) effect = Effect.delay(effect, delayMs)
      effect = Effect.tap(effect, () => Effect.repeatN(Effect.yieldNow(), yields))
      if (job.request.timeoutMs !== undefined) {
        const millis = job.request.timeoutMs
        effect = Effect.timeoutTo(effect, {
          duration: millis,
          onSuccess: (result): CoreResult => result,
          onTimeout: (): CoreResult => new TaskTimeout({ task: job.request.tag, millis })
        })
      }
      const fiber = runFork(Effect.provide(effect, worker.context) as Effect.Effect<CoreResult>)
      job.fiber = fiber
      // an early channel input that could not be cloned has failed the task already
      if (job.done) fiber.unsafeInterruptAsFork(FiberId.none)
      fiber.addObserver((exit) => {
        running--
        worker.jobs.delete(job)
        if (worker.isolated) {
          isolatedRunning--
          outside.delete(worker)
          runFork(Scope.close(worker.scope, Exit.void))
        }
        if (Exit.isSuccess(exit)) {
          completed++
          metrics.completed(performance.now() - startedAt)
          if (!Array.isArray(exit.value)) metrics.failed((exit.value as { _tag: string })._tag)
          resolveJob(job, crossBack(exit.value))
        } else if (!Cause.isInterruptedOnly(exit.cause)) {
          // a defect outside the handler (which its Effect.exit would have caught) still ends the task, as in a worker
          resolveJob(job, [Wire.EXIT_DIE, Wire.encodeDefect(Cause.squash(exit.cause))])
        }
        dispatch()
      })
    }

    // A fresh worker, with its own Layer, for one task; discarded after it.
    const startIsolated = (job: SimJob) =>
      runFork(Effect.match(spawn(), {
        onFailure: (error) => {
          isolatedRunning--
          resolveJob(job, error)
          dispatch()
        },
        onSuccess: (worker) => {
          worker.isolated = true
          if (job.done || closed) {
            isolatedRunning--
            resolveJob(job, new PoolClosed({ task: job.request.tag }))
            runFork(Scope.close(worker.scope, Exit.void))
            return dispatch()
          }
          outside.add(worker)
          start(worker, job)
        }
      }))

    const dispatch = () => {
      let job: SimJob | undefined
      while (isolatedRunning < slots.length && (job = isolatedQueue.shift()) !== undefined) {
        if (!job.queued) continue
        job.queued = false
        queued--
        isolatedRunning++
        startIsolated(job)
      }
      for (let i = 0; i < slots.length; i++) {
        const worker = slots[i]
        if (worker === undefined) continue
        // a crash (injected at a task's start) ends this worker in the loop: its replacement takes the rest
        while (worker.alive && worker.jobs.size < options.concurrency && (job = queue.shift()) !== undefined) {
          if (!job.queued) continue
          job.queued = false
          queued--
          start(worker, job)
        }
      }
      admission.admit(() => queued)
      let busy = 0
      for (const worker of slots) if (worker !== undefined && worker.jobs.size > 0) busy++
      metrics.state(queued, slots.filter((slot) => slot !== undefined).length, busy)
    }

    // Everything crosses a simulated boundary: what cannot be cloned to a real worker fails here too.
    const cross = (request: CoreRequest): { payload: unknown } | EncodeError => {
      try {
        return {
          payload: structuredClone(
            request.payload,
            request.transfer === undefined ? undefined : { transfer: request.transfer as Array<never> }
          )
        }
      } catch (error) {
        return new EncodeError({ task: request.tag, reason: Wire.describeError(error) })
      }
    }

    // Results cross it too, as a real worker's reply does: a class instance comes back as a plain object, and a
    // result that cannot be cloned fails its own task.
    const crossBack = (result: CoreResult): CoreResult => {
      if (!Array.isArray(result)) return result
      try {
        return structuredClone(result)
      } catch (error) {
        return [Wire.EXIT_DECODE, `the result could not be sent back: ${Wire.describeError(error)}`]
      }
    }

    const makeJob = (
      request: CoreRequest,
      payload: unknown,
      resolve: (r: CoreResult) => void,
      pinned?: SimWorker,
      events?: ChannelEvents
    ): SimJob => ({
      request,
      payload,
      resolve,
      events,
      early: [],
      port: undefined,
      pinned,
      done: false,
      queued: false,
      fiber: undefined
    })

    const feed = (job: SimJob, port: WorkerPort, message: ChannelMessage) => {
      if (message[0] === Wire.REQ_END_INPUT) return port.end()
      if (message[0] !== Wire.REQ_INPUT) return port.grant(message[1] as number)
      let value: unknown
      try {
        value = structuredClone(message[1])
      } catch (error) {
        // an input that could not reach a real worker: the task fails with EncodeError, and stops
        return failTask(job, new EncodeError({ task: job.request.tag, reason: Wire.describeError(error) }))
      }
      port.deliver(value)
    }

    const cancel = (job: SimJob, onStopped?: () => void) => {
      const fiber = job.fiber
      // a running task has let go once its fiber has ended
      const whenStopped = () => {
        if (onStopped === undefined) return
        if (fiber === undefined || fiber.unsafePoll() !== null) onStopped()
        else fiber.addObserver(() => onStopped())
      }
      if (job.done) return whenStopped()
      job.done = true
      if (job.queued) {
        job.queued = false
        queued--
        dispatch()
      } else {
        fiber?.unsafeInterruptAsFork(FiberId.none)
      }
      whenStopped()
    }

    const submit: Core["submit"] = (request, resolve) => enqueue(request, resolve, undefined)[1]

    const open: Core["open"] = (request, events, resolve) => {
      const [job, cancelJob] = enqueue(request, resolve, events)
      return {
        cancel: cancelJob,
        push: (message) => {
          if (job === undefined || job.done) return
          if (job.port !== undefined) feed(job, job.port, message)
          else job.early.push(message)
        }
      }
    }

    const enqueue = (
      request: CoreRequest,
      resolve: (result: CoreResult) => void,
      events: ChannelEvents | undefined
    ): readonly [SimJob | undefined, Cancel] => {
      if (closed || broken !== undefined) {
        resolve(broken ?? new PoolClosed({ task: request.tag }))
        return [undefined, stoppedAlready]
      }
      const crossed = cross(request)
      if (crossed instanceof EncodeError) {
        resolve(crossed)
        return [undefined, stoppedAlready]
      }
      const job = makeJob(request, crossed.payload, resolve, undefined, events)
      const admitJob = () => {
        if (job.done) return
        if (closed || broken !== undefined) return resolveJob(job, broken ?? new PoolClosed({ task: request.tag }))
        job.queued = true
        if (request.isolate) isolatedQueue.push(job)
        else queue.push(job)
        queued++
        dispatch()
      }
      const withdraw = admission.request(queued, admitJob)
      return [job, (onStopped) => {
        if (!withdraw()) return cancel(job, onStopped)
        job.done = true
        onStopped?.()
      }]
    }

    const broadcast: Core["broadcast"] = (request, resolve) => {
      const targets = closed || broken !== undefined ? [] : slots.filter((slot): slot is SimWorker => slot !== undefined)
      // each worker gets its own copy, as from a real message
      const copies = targets.map(() => cross(request))
      const failed = copies.find((copy) => copy instanceof EncodeError)
      if (failed !== undefined || targets.length === 0) {
        resolve(targets.map(() => failed as EncodeError))
        return () => {}
      }
      const results: Array<CoreResult> = new Array(targets.length)
      let remaining = targets.length
      const jobs = targets.map((worker, i) => {
        const job = makeJob(request, (copies[i] as { payload: unknown }).payload, (result) => {
          results[i] = result
          if (--remaining === 0) resolve(results)
        }, worker)
        start(worker, job)
        return job
      })
      return () => jobs.forEach((job) => cancel(job))
    }

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        failQueued((tag) => new PoolClosed({ task: tag }))
        const workers = [...slots.filter((slot): slot is SimWorker => slot !== undefined), ...outside]
        outside.clear()
        return Effect.forEach(workers, (worker) =>
          Effect.suspend(() => {
            const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
            for (const job of worker.jobs) {
              resolveJob(job, new PoolClosed({ task: job.request.tag }))
              if (job.fiber !== undefined) fibers.push(job.fiber)
            }
            // its tasks stop (their finalizers run) before its Layer is released, as in a real worker
            return Effect.zipRight(Fiber.interruptAll(fibers), Scope.close(worker.scope, Exit.void))
          }), { discard: true })
      })
    )

    for (let i = 0; i < options.size; i++) slots[i] = yield* spawn()

    const inspector: Inspector = {
      seed: options.seed,
      assignments: Effect.sync(() => assignments.slice()),
      stats: Effect.sync(() => ({
        spawns,
        replacements,
        started,
        completed,
        inFlight: running,
        queued,
        peakConcurrency: peak
      }))
    }
    const resize = (n: number) => {
      if (closed || n === slots.length) return
      if (n < slots.length) {
        // removed workers finish what they run, then end
        for (const worker of slots.splice(n)) {
          if (worker === undefined) continue
          worker.alive = false
          outside.add(worker)
          runFork(Effect.zipRight(
            Effect.suspend(() => Effect.forEach(Array.from(worker.jobs), (job) => job.fiber?.await ?? Effect.void)),
            Effect.suspend(() => {
              outside.delete(worker)
              return Scope.close(worker.scope, Exit.void)
            })
          ))
        }
        return
      }
      for (let i = slots.length; i < n; i++) {
        const index = i
        slots.push(undefined)
        runFork(Effect.match(spawn(), {
          onFailure: () => {},
          onSuccess: (worker) => {
            if (slots.length > index) slots[index] = worker
            else runFork(Scope.close(worker.scope, Exit.void))
            dispatch()
          }
        }))
      }
    }

    const core: Core = {
      resize,
      workers: () =>
        slots.filter((slot): slot is SimWorker => slot !== undefined).map((worker) => ({
          id: worker.id,
          pid: process.pid,
          threadId: undefined,
          alive: () => worker.alive,
          exit: () => undefined,
          whenExited: () => {},
          kill: () => crash(worker, 0),
          terminate: () => crash(worker, 0)
        })),
      size: () => slots.filter((slot) => slot !== undefined).length,
      submit,
      open,
      broadcast
    }
    return [core, inspector] as const
  })

