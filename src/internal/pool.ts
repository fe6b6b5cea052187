import * as Worker from "@effect/platform/Worker"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"
import { EncodeError, PoolClosed, SpawnError, TaskTimeout, WorkerCrashed, type WorkerPoolError } from "../Errors.js"
import { Deque } from "./deque.js"
import { Admission } from "./admission.js"
import * as Metrics from "./metrics.js"
import * as IdleSpin from "./idleSpin.js"
import * as Platform from "./platform.js"
import * as Spawn from "./spawn.js"
import {
  type ChannelEvents,
  type Cancel,
  type ChannelMessage,
  type Core,
  type CoreRequest,
  type CoreResult,
  requestKind,
  stoppedAlready,
  toRequest,
  type WorkerInfo
} from "./core.js"
import * as Wire from "./wire.js"

export interface NodeCoreOptions {
  readonly module: string
  /** What workers import: `module`, or its bundle. */
  readonly entry: string
  readonly kind: Spawn.Kind
  readonly size: number
  readonly concurrency: number
  readonly maxQueue: number
  readonly interruptGraceMs: number
  readonly spawnAttempts: number
  readonly spawnTimeoutMs: number
  readonly maxTasksPerWorker: number
  readonly maxHeapBytes: number | undefined
  /** Worker threads: how long an idle worker polls for its next task before it sleeps (0: never). */
  readonly idleSpinMicros: number
  readonly execArgv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>> | undefined
  readonly resourceLimits: Spawn.SpawnOptions["resourceLimits"]
}

const QUEUED = 0
const INFLIGHT = 1
const ABANDONED = 2 // the caller is gone (interrupted or timed out); waiting for the worker to let go
const DONE = 3

interface Job {
  readonly id: number
  readonly request: CoreRequest
  readonly resolve: (result: CoreResult) => void
  readonly events: ChannelEvents | undefined
  /** Channel messages pushed before the task was sent to a worker. */
  early: Array<Wire.Request> | undefined
  /** Waiting for the task to let go of its worker after a cancel. */
  stopped: Array<() => void> | undefined
  spawnFailures: number
  /** Bound to its worker (broadcast): never moved to another one. */
  readonly pinned: boolean
  state: number
  slot: Slot | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  startedAt: number
}

const STARTING = 0
const READY = 1
const CLOSING = 2
const DEAD = 3

interface Slot {
  readonly id: number
  /** The slot in the pool this worker fills; -1 for a worker outside the pool (isolated, retiring). */
  index: number
  /** Its flag among the workers of the process that may spin while idle (see IdleSpin); -1 for none. */
  activitySlot: number
  /** The one task an isolated worker was started for. */
  readonly isolated: Job | undefined
  tasksDone: number
  state: number
  raw: Spawn.RawWorker | undefined
  backing: Worker.BackingWorker<ReadonlyArray<Wire.Request>, Wire.Message> | undefined
  fiber: Fiber.RuntimeFiber<never, unknown> | undefined
  readonly inflight: Map<number, Job>
  outbox: Array<Wire.Request>
  /** Buffers to move, not copy, with the next message. */
  transfers: Array<unknown> | undefined
  bootFailure: string | undefined
  killReason: string | undefined
  uncaught: string | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  onExit: (() => void) | undefined
  exit: { readonly code: number | null; readonly signal: string | null } | undefined
  readonly exitWaiters: Array<() => void>
}

const MAX_BATCH = 128

/** Why a worker's exit failed its tasks, in words. */
const exitReason = (slot: Slot, code: number | null, signal: string | null): string =>
  slot.killReason ??
    (slot.uncaught !== undefined ? `uncaught ${slot.uncaught}` : undefined) ??
    (signal !== null ? `killed by signal ${signal}` : `exited with code ${code}`)

export const makeNodeCore = (options: NodeCoreOptions): Effect.Effect<Core, SpawnError, Scope.Scope> =>
  Effect.gen(function*() {
    // each worker's replies go straight to onMessage (see ./platform.ts)
    const receivers = new WeakMap<Spawn.RawWorker, Platform.Receiver>()
    const platform = Platform.make((raw) => receivers.get(raw))
    const config = Spawn.makeConfig(
      options.module,
      options.entry,
      options.concurrency,
      options.maxHeapBytes,
      options.idleSpinMicros
    )
    // Tells polling workers whether the pool has one task in flight (a caller that awaits each result before
    // it sends the next), where a worker that polls for the next one saves a wake-up; with more in flight the
    // cores are better left to the other workers and the main thread.
    const setSequential = IdleSpin.makeSequentialFlag(config.sequential)
    // and the main thread keeps its event loop turning for the reply of that one task, instead of sleeping
    const watchReply = IdleSpin.makeReplyWatch(options.kind === "thread" ? options.idleSpinMicros : 0)
    const metrics = Metrics.makeRecorder(Metrics.poolLabel(options.module))
    const recordState = () => {
      // a closed pool's gauges stay at zero (replies of tasks its close interrupted still come in)
      if (closed) return
      let busy = 0
      for (const slot of live) if (slot.inflight.size > 0) busy++
      metrics.state(queued, readyCount, busy)
    }
    const slots: Array<Slot | undefined> = new Array(options.size).fill(undefined)
    let size = options.size
    const queue = new Deque<Job>()
    let queued = 0
    const isolatedQueue = new Deque<Job>()
    /** Every worker with a process or thread behind it: the pool's, isolated ones, retiring ones. */
    const live = new Set<Slot>()
    const admission = new Admission(options.maxQueue)
    let nextJobId = 0
    let nextWorkerId = 0
    let closed = false
    let broken: SpawnError | undefined
    let bootFailures = 0
    let readyCount = 0
    let roundRobin = 0
    let scheduled = false
    let started: ((error: SpawnError | undefined) => void) | undefined
    const requeue: Array<Job> = []

    // -------------------------------------------------------------------------
    // workers
    // -------------------------------------------------------------------------

    const spawnSlot = (index: number, isolated?: Job) => {
      const slot: Slot = {
        id: nextWorkerId++,
        index,
        // isolated workers never spin; given back in onExit
        activitySlot: index >= 0 && config.activity !== undefined ? IdleSpin.acquireSlot() : -1,
        isolated,
        tasksDone: 0,
        state: STARTING,
        raw: undefined,
        backing: undefined,
        fiber: undefined,
        inflight: new Map(),
        outbox: [],
        transfers: undefined,
        bootFailure: undefined,
        killReason: undefined,
        uncaught: undefined,
        timer: undefined,
        onExit: undefined,
        exit: undefined,
        exitWaiters: []
      }
      if (index >= 0) slots[index] = slot
      live.add(slot)
      const spawner = () => {
        const raw = Spawn.spawn({
          kind: options.kind,
          config: Spawn.withActivitySlot(config, slot.activitySlot),
          execArgv: options.execArgv,
          env: options.env,
          resourceLimits: options.resourceLimits
        })
        slot.raw = raw
        receivers.set(raw, (data) => onMessage(slot, data as Wire.Message))
        raw.on("error", (error: Error) => {
          slot.uncaught = error.stack ?? error.message
        })
        raw.once("exit", (code: number | null, signal: string | null) => onExit(slot, code, signal ?? null))
        return raw
      }
      slot.timer = setTimeout(() => {
        slot.bootFailure = `the worker did not become ready within ${options.spawnTimeoutMs} ms`
        if (slot.raw !== undefined) Spawn.kill(slot.raw)
      }, options.spawnTimeoutMs)
      const backing = Effect.runSync(
        platform.spawn<ReadonlyArray<Wire.Request>, Wire.Message>(slot.id).pipe(
          Effect.provideService(Worker.Spawner, spawner)
        )
      )
      slot.backing = backing
      slot.fiber = Effect.runFork(
        backing.run((message) =>
          Effect.sync(() => {
            if (message[0] === 0) onReady(slot)
            else onMessage(slot, message[1])
          })
        )
      )
      slot.fiber.addObserver(() => {
        // the platform gives up on a worker it could not start (e.g. a spawn that threw)
        if (slot.raw === undefined && slot.state !== DEAD) onExit(slot, null, null)
      })
    }

    const onReady = (slot: Slot) => {
      if (slot.state !== STARTING) return
      clearTimeout(slot.timer)
      slot.timer = undefined
      if (slot.isolated !== undefined) {
        const job = slot.isolated
        slot.state = CLOSING
        if (job.state !== QUEUED) return retire(slot)
        queued--
        if (!assign(slot, job)) retire(slot)
        schedule()
        return
      }
      slot.state = READY
      bootFailures = 0
      readyCount++
      if (started !== undefined && readyCount >= options.size) {
        started(undefined)
        started = undefined
      }
      schedule()
    }

    const onExit = (slot: Slot, code: number | null, signal: string | null) => {
      if (slot.state === DEAD) return
      const previous = slot.state
      slot.state = DEAD
      slot.exit = { code, signal }
      clearTimeout(slot.timer)
      slot.timer = undefined
      live.delete(slot)
      if (slot.index >= 0 && slots[slot.index] === slot) slots[slot.index] = undefined
      // a worker killed while busy or polling may have left its flag set
      IdleSpin.releaseSlot(slot.activitySlot)
      slot.activitySlot = -1
      if (previous === READY) readyCount--
      slot.fiber?.unsafeInterruptAsFork(FiberId.none)
      const inflight = Array.from(slot.inflight.values())
      slot.inflight.clear()
      let position = 0
      for (const job of inflight) {
        clearTimeout(job.timer)
        job.timer = undefined
        // The worker runs its tasks in the order they were sent, at most `concurrency` at a time:
        // the ones behind those never started, so they go back to the front of the queue.
        const started = position++ < options.concurrency
        if (job.state !== INFLIGHT) {
          job.state = DONE
          release(job)
          continue
        }
        if (!started && !closed && !job.pinned) {
          requeue.push(job)
          continue
        }
        job.state = DONE
        metrics.failed(closed ? "PoolClosed" : "WorkerCrashed")
        job.resolve(
          closed ? new PoolClosed({ task: job.request.tag }) : new WorkerCrashed({
            workerId: slot.id,
            task: job.request.tag,
            ...(code !== null ? { exitCode: code } : {}),
            ...(signal !== null ? { signal } : {}),
            reason: exitReason(slot, code, signal)
          })
        )
      }
      if (requeue.length > 0) {
        for (const job of requeue) {
          job.state = QUEUED
          job.slot = undefined
          queued++
        }
        queue.unshiftAll(requeue)
        requeue.length = 0
      }
      slot.onExit?.()
      for (const f of slot.exitWaiters.splice(0)) f()
      if (closed) {
        // an isolated task whose worker was still starting
        const job = slot.isolated
        if (job !== undefined && job.state === QUEUED) {
          job.state = DONE
          job.resolve(new PoolClosed({ task: job.request.tag }))
        }
        return
      }
      if (slot.isolated !== undefined) {
        if (previous === STARTING && slot.isolated.state === QUEUED) spawnIsolatedAgain(slot, code, signal)
        schedule()
        return
      }
      if (slot.index < 0) return schedule() // a retired worker that ended
      if (previous === STARTING) {
        bootFailures++
        const reason = slot.bootFailure ?? slot.uncaught ??
          `the worker exited with ${signal !== null ? `signal ${signal}` : `code ${code}`} before it was ready`
        if (bootFailures >= options.spawnAttempts) {
          giveUp(new SpawnError({ module: options.module, attempts: bootFailures, reason }))
          return
        }
      }
      spawnSlot(slot.index)
      schedule()
    }

    // A worker that cannot start after `spawnAttempts` tries is not retried again. The pool keeps
    // serving with the workers it has; with none left, everything waiting fails with the SpawnError.
    const giveUp = (error: SpawnError) => {
      if (started !== undefined) {
        started(error)
        started = undefined
        return
      }
      if (slots.some((slot) => slot !== undefined)) return
      broken = error
      failQueued(error)
    }

    const failQueued = (error: WorkerPoolError | ((tag: string) => WorkerPoolError)) => {
      let job: Job | undefined
      while ((job = queue.shift() ?? isolatedQueue.shift()) !== undefined) {
        if (job.state !== QUEUED) continue
        job.state = DONE
        job.resolve(typeof error === "function" ? error(job.request.tag) : error)
      }
      queued = 0
      admission.releaseAll()
    }

    // A worker that leaves the pool (recycled, or isolated and done) takes no new work and ends
    // gracefully once its in-flight tasks are done; a recycled one is replaced at once.
    const retire = (slot: Slot) => {
      if (slot.state === READY) readyCount--
      if (slot.state !== DEAD) slot.state = CLOSING
      if (slot.index >= 0 && slots[slot.index] === slot) {
        slots[slot.index] = undefined
        if (!closed) spawnSlot(slot.index)
      }
      slot.index = -1
      if (slot.inflight.size === 0) slot.fiber?.unsafeInterruptAsFork(FiberId.none)
    }

    const spawnIsolatedAgain = (slot: Slot, code: number | null, signal: string | null) => {
      const job = slot.isolated!
      job.spawnFailures++
      if (job.spawnFailures < options.spawnAttempts) return spawnSlot(-1, job)
      job.state = DONE
      queued--
      job.resolve(
        new SpawnError({
          module: options.module,
          attempts: job.spawnFailures,
          reason: slot.bootFailure ?? slot.uncaught ??
            `the worker exited with ${signal !== null ? `signal ${signal}` : `code ${code}`} before it was ready`
        })
      )
    }

    const terminate = (slot: Slot, reason: string) => {
      if (slot.killReason !== undefined || slot.raw === undefined) return
      slot.killReason = reason
      Spawn.kill(slot.raw)
    }

    // -------------------------------------------------------------------------
    // messages
    // -------------------------------------------------------------------------

    const onMessage = (slot: Slot, message: Wire.Message) => {
      if (message[0] !== Wire.MSG_REPLIES) {
        if (message[0] === Wire.MSG_BOOT_FAILED) slot.bootFailure = message[1]
        else if (message[0] === Wire.MSG_UNCAUGHT) slot.uncaught = message[1]
        else if (slot.state === READY) retire(slot)
        return
      }
      watchReply.replied()
      for (const reply of message[1]) {
        const id = reply[0]
        const job = slot.inflight.get(id)
        if (job === undefined) continue
        if (reply.length === 3) {
          if (job.state !== INFLIGHT) continue
          if (reply[1] === Wire.EVENT_OUTPUT) job.events?.output(reply[2])
          else job.events?.credit(reply[2] as number)
          continue
        }
        const result = reply[1]
        metrics.completed(performance.now() - job.startedAt)
        slot.inflight.delete(id)
        clearTimeout(job.timer)
        job.timer = undefined
        if (job.state === INFLIGHT) {
          job.state = DONE
          job.resolve(result)
        } else {
          job.state = DONE
          release(job)
        }
        slot.tasksDone++
      }
      recordState()
      if (slot.isolated !== undefined || slot.tasksDone >= options.maxTasksPerWorker) retire(slot)
      else if (slot.state === CLOSING && slot.inflight.size === 0) slot.fiber?.unsafeInterruptAsFork(FiberId.none)
      armGrace(slot)
      armStarted(slot)
      schedule()
    }

    // A task whose caller is gone may be stuck in a synchronous loop. Only the tasks that can be
    // running (the oldest `concurrency` ones sent to the worker) get a grace timer; when it fires
    // the worker is terminated and replaced.
    const armGrace = (slot: Slot) => {
      let n = 0
      for (const job of slot.inflight.values()) {
        if (n++ >= options.concurrency) break
        if (job.state === ABANDONED && job.timer === undefined) {
          job.timer = setTimeout(() => {
            terminate(
              slot,
              `task '${job.request.tag}' did not stop within ${options.interruptGraceMs} ms of its interruption; the worker was terminated`
            )
          }, options.interruptGraceMs)
        }
      }
    }

    // A task sent to a busy worker (queued there behind others, or a broadcast's) starts once the tasks before it are
    // done: its timeout starts then.
    const armStarted = (slot: Slot) => {
      let n = 0
      for (const job of slot.inflight.values()) {
        if (n++ >= options.concurrency) break
        if (job.state === INFLIGHT && job.timer === undefined && job.request.timeoutMs !== undefined) armTimeout(job)
      }
    }

    const abandon = (job: Job) => {
      const slot = job.slot!
      job.state = ABANDONED
      clearTimeout(job.timer)
      job.timer = undefined
      slot.outbox.push([Wire.REQ_INTERRUPT, job.id])
      armGrace(slot)
      schedule()
    }

    // -------------------------------------------------------------------------
    // scheduling
    // -------------------------------------------------------------------------

    const schedule = () => {
      if (!scheduled) {
        scheduled = true
        resolved.then(dispatch)
      }
    }

    const nextQueued = (): Job | undefined => {
      let job: Job | undefined
      while ((job = queue.peek()) !== undefined && job.state !== QUEUED) queue.shift()
      return job
    }

    // The caller's start callback; one that throws ends its task with that defect, unsent, and the pool goes on.
    const startCallback = (job: Job): boolean => {
      if (job.request.onStart === undefined) return true
      try {
        job.request.onStart()
        return true
      } catch (error) {
        job.state = DONE
        job.resolve([Wire.EXIT_DIE, Wire.encodeDefect(error)])
        return false
      }
    }

    /** Sends a task to a slot; false if its start callback threw (see `startCallback`). */
    const assign = (slot: Slot, job: Job): boolean => {
      if (!startCallback(job)) return false
      job.startedAt = performance.now()
      metrics.started(1)
      job.state = INFLIGHT
      job.slot = slot
      slot.inflight.set(job.id, job)
      const request = job.request
      let payload = request.payload
      if (request.transfer !== undefined) (slot.transfers ??= []).push(...request.transfer)
      // large buffers go to a thread as copies that are moved, not cloned (see Wire.MOVE_MIN_BYTES)
      const moved = request.move !== undefined && options.kind === "thread"
        ? Wire.moveBuffers(request.move, payload, request.transfer)
        : undefined
      if (moved !== undefined) {
        payload = moved[0]
        ;(slot.transfers ??= []).push(...moved[1])
      }
      slot.outbox.push(startRequest(requestKind(request, job.events), job.id, request, payload))
      if (job.early !== undefined) {
        for (const request of job.early) slot.outbox.push(request)
        job.early = undefined
      }
      // a timeout counts from the task's start: now if it starts at once, else once the tasks before it in that
      // worker are done (armStarted)
      if (slot.inflight.size <= options.concurrency) armTimeout(job)
      return true
    }

    // A timed task tells its worker so: the worker then sends the replies it holds before it starts the task, so
    // that the main side, which starts the timer when it sees the task before it end, does so even if the task
    // then blocks its thread.
    const startRequest = (
      kind: typeof Wire.REQ_RUN | typeof Wire.REQ_CHUNK | typeof Wire.REQ_CHANNEL,
      id: number,
      request: CoreRequest,
      payload: unknown
    ): Wire.Request =>
      request.timeoutMs === undefined
        ? [kind, id, payload, request.span]
        : [kind, id, payload, request.span, 1]

    const armTimeout = (job: Job) => {
      const timeoutMs = job.request.timeoutMs
      if (timeoutMs === undefined) return
      job.timer = setTimeout(() => {
        job.timer = undefined
        if (job.state !== INFLIGHT) return
        metrics.failed("TaskTimeout")
        job.resolve(new TaskTimeout({ task: job.request.tag, millis: timeoutMs }))
        abandon(job)
      }, timeoutMs)
    }

    // a task with a start callback or a channel only goes to a free slot, where it starts at once
    const canWait = (job: Job): boolean => job.request.onStart === undefined && job.events === undefined

    // How many tasks a worker may hold when the queue is short: one per slot, and one chunk (of a map or a
    // stream) more, which it starts as soon as its running one ends instead of idling while that one's
    // results go back and the next chunk comes.
    const shortLimit = (job: Job): number => options.concurrency + (job.request.chunk && canWait(job) ? 1 : 0)

    // A task can go to a free slot, or, with a deep queue, wait in the worker behind its running ones: up to
    // two shares, so that the worker runs one while the next is on its way and never idles for a round trip.
    const canTake = (slot: Slot, job: Job, share: number): boolean =>
      slot.inflight.size < shortLimit(job) ||
      (share > 0 && slot.inflight.size < options.concurrency + 2 * share && canWait(job))

    const dispatch = () => {
      scheduled = false
      if (queued > 0 && readyCount > 0) {
        const n = slots.length
        // With a deep queue, each worker takes a fair share in one message (at most MAX_BATCH), small enough
        // that uneven tasks still balance.
        const share = Math.min(MAX_BATCH, Math.floor(queued / (readyCount * 4)))
        if (share > 0) {
          for (let k = 0; k < n && queued > 0; k++) {
            const slot = slots[(roundRobin + k) % n]
            if (slot === undefined || slot.state !== READY) continue
            let take = Math.max(share, options.concurrency - slot.inflight.size)
            let job: Job | undefined
            while (take-- > 0 && (job = nextQueued()) !== undefined && canTake(slot, job, share)) {
              queue.shift()
              queued--
              assign(slot, job)
            }
          }
          roundRobin++
        } else {
          // A short queue: one task at a time to the least busy worker, the first one on a tie, so that
          // a trickle of tasks keeps one worker warm instead of waking each in turn.
          let job: Job | undefined
          while ((job = nextQueued()) !== undefined) {
            const limit = shortLimit(job)
            let best: Slot | undefined
            for (let k = 0; k < n; k++) {
              const slot = slots[k]
              if (slot === undefined || slot.state !== READY || slot.inflight.size >= limit) continue
              if (best === undefined || slot.inflight.size < best.inflight.size) best = slot
            }
            if (best === undefined) break
            queue.shift()
            queued--
            assign(best, job)
          }
        }
      }
      // also with nothing queued: an isolated task leaves the count when its own worker is ready
      admit()
      let job: Job | undefined
      while (isolatedCount() < size && (job = isolatedQueue.shift()) !== undefined) {
        if (job.state === QUEUED) spawnSlot(-1, job)
      }
      let inflight = 0
      for (const slot of live) inflight += slot.inflight.size
      // before the sends, so that a worker replying at once reads it
      const sequential = inflight === 1 && queued === 0
      setSequential(sequential)
      let sent = false
      for (const slot of live) {
        if (slot.outbox.length > 0) {
          send(slot)
          sent = true
        }
      }
      if (!sequential) watchReply.stop()
      else if (sent) watchReply.sent()
      recordState()
    }

    const isolatedCount = () => {
      let n = 0
      for (const slot of live) if (slot.isolated !== undefined) n++
      return n
    }

    const admit = () => admission.admit(() => queued)

    const send = (slot: Slot) => {
      const requests = slot.outbox
      const transfers = slot.transfers
      slot.outbox = []
      slot.transfers = undefined
      if (trySend(slot, requests, transfers)) return
      if (requests.length === 1) return sendFailed(slot, requests[0]!)
      // One payload that cannot be cloned must not fail its batch-mates: send them one by one.
      for (const request of requests) {
        const transfer = Wire.startsTask(request) ? slot.inflight.get(request[1])?.request.transfer : undefined
        if (!trySend(slot, [request], transfer)) sendFailed(slot, request)
      }
    }

    let lastSendError: unknown
    const trySend = (
      slot: Slot,
      requests: ReadonlyArray<Wire.Request>,
      transfers: ReadonlyArray<unknown> | undefined
    ): boolean => {
      // Straight to the port, in the platform's framing ([0, data]): the worker is ready, so the platform
      // would not buffer, and this saves an Effect run per message on the hot path.
      try {
        Spawn.post(slot.raw!, [0, requests], transfers === undefined ? undefined : Wire.sendableTransfers(transfers))
        return true
      } catch (error) {
        lastSendError = error
        return false
      }
    }

    const sendFailed = (slot: Slot, request: Wire.Request) => {
      const job = slot.inflight.get(request[1])
      if (job === undefined || request[0] === Wire.REQ_INTERRUPT) return
      if (job.state === INFLIGHT) {
        metrics.failed("EncodeError")
        const reason = describeSendError(lastSendError)
        job.resolve(
          new EncodeError({
            task: job.request.tag,
            reason: options.kind === "process" && reason.includes("SharedArrayBuffer")
              ? `${reason} (child processes cannot share memory: use worker threads)`
              : reason
          })
        )
        // a channel message: its task runs in the worker, which stops it and replies
        if (!Wire.startsTask(request)) return abandon(job)
      }
      if (!Wire.startsTask(request)) return
      slot.inflight.delete(job.id)
      clearTimeout(job.timer)
      job.state = DONE
      release(job)
      // an isolated worker whose one task never reached it
      if (slot.isolated !== undefined) retire(slot)
      // its place in the worker is free again: a task queued behind it goes now
      schedule()
    }

    /** The task has let go of its worker: tell whoever cancelled it and waits for that. */
    const release = (job: Job) => {
      const stopped = job.stopped
      if (stopped === undefined) return
      job.stopped = undefined
      for (const f of stopped) f()
    }

    // -------------------------------------------------------------------------
    // the Core
    // -------------------------------------------------------------------------

    const submit = (request: CoreRequest, resolve: (result: CoreResult) => void): Cancel =>
      enqueue(request, undefined, resolve)[1]

    const open = (request: CoreRequest, events: ChannelEvents, resolve: (result: CoreResult) => void) => {
      const [job, cancel] = enqueue(request, events, resolve)
      const push = (message: ChannelMessage) => {
        if (job === undefined) return
        if (job.state === QUEUED) (job.early ??= []).push(toRequest(job.id, message))
        else if (job.state === INFLIGHT) {
          job.slot!.outbox.push(toRequest(job.id, message))
          schedule()
        }
      }
      return { push, cancel }
    }

    const enqueue = (
      request: CoreRequest,
      events: ChannelEvents | undefined,
      resolve: (result: CoreResult) => void
    ): readonly [Job | undefined, Cancel] => {
      if (closed) {
        resolve(new PoolClosed({ task: request.tag }))
        return [undefined, stoppedAlready]
      }
      if (broken !== undefined) {
        resolve(broken)
        return [undefined, stoppedAlready]
      }
      const job: Job = {
        id: nextJobId++,
        request,
        resolve,
        events,
        early: undefined,
        stopped: undefined,
        spawnFailures: 0,
        pinned: false,
        state: QUEUED,
        slot: undefined,
        timer: undefined,
        startedAt: 0
      }
      const admitJob = () => {
        if (closed || broken !== undefined) {
          job.state = DONE
          return resolve(broken ?? new PoolClosed({ task: request.tag }))
        }
        if (request.isolate) isolatedQueue.push(job)
        else queue.push(job)
        queued++
        schedule()
      }
      // the common case, with room in the queue, allocates no waiter
      if (admission.hasRoom(queued)) {
        admitJob()
        return [job, (onStopped) => cancel(job, onStopped)]
      }
      // backpressure: a full queue makes callers wait for room, let in one at a time in arrival order
      const withdraw = admission.request(queued, admitJob)
      return [job, (onStopped) => {
        if (!withdraw()) cancel(job, onStopped)
        else onStopped?.()
      }]
    }

    const cancel = (job: Job, onStopped: (() => void) | undefined) => {
      switch (job.state) {
        case QUEUED: {
          job.state = DONE
          queued--
          admit()
          return onStopped?.()
        }
        case INFLIGHT:
          abandon(job)
          if (onStopped !== undefined) (job.stopped ??= []).push(onStopped)
          return
        case ABANDONED:
          if (onStopped !== undefined) (job.stopped ??= []).push(onStopped)
          return
        default:
          return onStopped?.()
      }
    }

    const broadcast = (request: CoreRequest, resolve: (results: ReadonlyArray<CoreResult>) => void): () => void => {
      const targets = slots.filter((slot): slot is Slot => slot !== undefined && slot.state === READY)
      const results: Array<CoreResult> = new Array(targets.length)
      let remaining = targets.length
      if (remaining === 0) {
        resolve(results)
        return noop
      }
      metrics.started(remaining)
      const jobs = targets.map((slot, i) => {
        const job: Job = {
          id: nextJobId++,
          request,
          resolve: (result) => {
            results[i] = result
            if (--remaining === 0) resolve(results)
          },
          events: undefined,
          early: undefined,
        stopped: undefined,
          spawnFailures: 0,
          pinned: true,
          state: INFLIGHT,
          slot,
          timer: undefined,
          startedAt: performance.now()
        }
        slot.inflight.set(job.id, job)
        slot.outbox.push(startRequest(requestKind(request, undefined), job.id, request, request.payload))
        // its timeout counts from its start: now on an idle worker, else once the tasks before it are done
        if (slot.inflight.size <= options.concurrency) armTimeout(job)
        return job
      })
      schedule()
      return () => {
        for (const job of jobs) if (job.state === INFLIGHT) abandon(job)
      }
    }

    const resize = (n: number) => {
      if (closed || n === size) return
      const previous = slots.length
      size = n
      if (n > previous) {
        for (let i = previous; i < n; i++) {
          slots.push(undefined)
          spawnSlot(i)
        }
      } else {
        const extra = slots.splice(n)
        for (const slot of extra) {
          if (slot === undefined) continue
          slot.index = -1
          retire(slot)
        }
      }
      schedule()
    }

    const workers = (): ReadonlyArray<WorkerInfo> =>
      Array.from(live, (slot): WorkerInfo => {
        const raw = slot.raw
        const thread = raw !== undefined && Spawn.isThread(raw)
        return {
          id: slot.id,
          pid: raw === undefined ? undefined : thread ? process.pid : (raw as { pid?: number }).pid,
          threadId: thread ? (raw as { threadId: number }).threadId : undefined,
          alive: () => slot.state !== DEAD,
          exit: () => slot.exit,
          whenExited: (f) => {
            if (slot.state === DEAD) f()
            else slot.exitWaiters.push(f)
          },
          kill: () => {
            if (raw !== undefined && slot.state !== DEAD) Spawn.kill(raw)
          },
          terminate: () => {
            if (raw === undefined || slot.state === DEAD) return
            if (thread) Spawn.kill(raw)
            else (raw as { kill: (signal: string) => boolean }).kill("SIGTERM")
          }
        }
      })

    // -------------------------------------------------------------------------
    // start and close
    // -------------------------------------------------------------------------

    const close = Effect.suspend(() => {
      closed = true
      watchReply.stop()
      failQueued((tag) => new PoolClosed({ task: tag }))
      // its gauges read nothing from now on (no queue, no workers)
      metrics.state(0, 0, 0)
      // every worker: the pool's, isolated ones and retiring ones
      return Effect.forEach(Array.from(live), (slot) =>
        Effect.async<void>((resume) => {
          if (slot.state === DEAD) return resume(Effect.void)
          slot.state = CLOSING
          slot.onExit = () => resume(Effect.void)
          clearTimeout(slot.timer)
          // ask politely (the worker interrupts its tasks and exits), then insist
          slot.timer = setTimeout(() => {
            if (slot.raw !== undefined) Spawn.kill(slot.raw)
          }, options.interruptGraceMs)
          if (slot.fiber !== undefined) slot.fiber.unsafeInterruptAsFork(FiberId.none)
          if (slot.raw === undefined) onExit(slot, null, null)
        }), { concurrency: "unbounded", discard: true })
    })

    yield* Effect.addFinalizer(() => close)

    for (let i = 0; i < options.size; i++) spawnSlot(i)
    const failure = yield* Effect.async<SpawnError | undefined>((resume) => {
      started = (error) => resume(Effect.succeed(error))
    })
    if (failure !== undefined) return yield* failure

    return { size: () => readyCount, submit, open, broadcast, resize, workers } satisfies Core
  })

const noop = () => {}
const resolved = Promise.resolve()

const describeSendError = (cause: unknown): string => {
  const error = Cause.isCause(cause) ? Cause.squash(cause) : cause
  const inner = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : error
  return Wire.describeError(inner)
}
