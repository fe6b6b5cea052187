/**
 * Idle spinning (the pool's `idleSpin` option, worker threads): a worker that has just replied and has nothing
 * left to run polls its port for a while before it goes back to sleep in the event loop, so that the next task
 * of a caller that sends one right after its reply is picked up at once, without the cost of waking a sleeping
 * thread (on both sides).
 *
 * The window adapts, as a hypervisor's halt polling does: it halves whenever it catches nothing (down to nothing
 * at all), and grows back to cover the wait whenever a sleeping worker was woken within the longest window. A
 * worker spins only while the pool has one task in flight (a caller that awaits each result before it sends
 * the next), and only while the workers that are busy or spinning leave a core to the main thread: with more
 * in flight (a stream fed from the main thread, a CPU-bound map) the cores are better spent on the work.
 */
import * as Os from "node:os"
import * as WorkerThreads from "node:worker_threads"
import type { WorkerConfig } from "./runner.js"

/**
 * How many worker threads of this process (of all its pools together) may spin while idle: the rest never do.
 * Each has a flag in one buffer shared by them all, set while it is busy or spinning, so that the workers of
 * several pools count against one budget of cores.
 */
export const ACTIVITY_SLOTS = 64

let processActivity: SharedArrayBuffer | undefined
const freeSlots: Array<number> = []

/** The process's buffer of activity flags, for pools whose workers may spin. */
export const activityOf = (idleSpinMicros: number): SharedArrayBuffer | undefined => {
  if (idleSpinMicros <= 0) return undefined
  if (processActivity === undefined) {
    processActivity = new SharedArrayBuffer(4 * ACTIVITY_SLOTS)
    for (let i = ACTIVITY_SLOTS - 1; i >= 0; i--) freeSlots.push(i)
  }
  return processActivity
}

/** A flag for a worker that may spin, or -1 if all are taken (it never spins). */
export const acquireSlot = (): number => freeSlots.pop() ?? -1

/** How many flags are free (for tests). */
export const freeSlotCount = (): number => processActivity === undefined ? ACTIVITY_SLOTS : freeSlots.length

/** Gives back the flag of a worker that has ended (killed while busy or spinning, it may have left it set). */
export const releaseSlot = (slot: number): void => {
  if (slot < 0 || processActivity === undefined) return
  Atomics.store(new Int32Array(processActivity), slot, 0)
  freeSlots.push(slot)
}

/** A pool's flag, set while it has one task in flight and none queued: its workers spin only then. */
export const makeSequential = (idleSpinMicros: number): SharedArrayBuffer | undefined =>
  idleSpinMicros > 0 ? new SharedArrayBuffer(4) : undefined

/** The pool's side: tells its workers whether it has one task in flight (and none queued). */
export const makeSequentialFlag = (sequential: SharedArrayBuffer | undefined): (on: boolean) => void => {
  if (sequential === undefined) return () => {}
  const flag = new Int32Array(sequential)
  let current = false
  return (on) => {
    if (current === on) return
    current = on
    Atomics.store(flag, 0, on ? 1 : 0)
  }
}

/**
 * The main thread's side, while the pool has one task in flight: after a send, its event loop keeps turning (a
 * chain of `setImmediate`) for up to `idleSpinMicros` (1 ms at most) instead of sleeping in its poll, so that the
 * reply is read as soon as it comes, without the cost of waking a sleeping thread. Nothing waits on it: timers, I/O
 * and other callbacks run as usual between turns. Only with a core to spare besides the worker running the task.
 *
 * It turns once a reply has come within the window while it slept, and goes on while replies come within it. A
 * reply that does not (a longer task, or the main thread and the worker sharing a core, where turning only holds the
 * worker back) makes it sleep again until twice as many replies in a row have come within the window (up to 64).
 */
export interface ReplyWatch {
  /** The one task in flight was sent. */
  readonly sent: () => void
  /** A reply came. */
  readonly replied: () => void
  /** The pool no longer has exactly one task in flight, or it closed. */
  readonly stop: () => void
  /** Whether its event loop is kept turning now (for tests). */
  readonly turning: () => boolean
}

/** The main thread's window, at most: it is for the replies of quick tasks (a worker's may be longer). */
const MAX_REPLY_WATCH_MS = 1

/** How many replies in a row within the window it may need before it turns again. */
const MAX_QUICK_NEEDED = 64

export const makeReplyWatch = (idleSpinMicros: number, maxWindowMs = MAX_REPLY_WATCH_MS): ReplyWatch => {
  if (idleSpinMicros <= 0 || Os.availableParallelism() < 2) {
    return { sent: () => {}, replied: () => {}, stop: () => {}, turning: () => false }
  }
  const windowMs = Math.min(maxWindowMs, idleSpinMicros / 1000)
  let sentAt = -1
  let deadline = 0
  let watching = false
  let turning = false
  // replies in a row that came within the window while it slept, and how many it needs before it turns
  let quick = 0
  let needed = 1
  const turn = () => {
    if (watching && performance.now() < deadline) {
      setImmediate(turn)
      return
    }
    turning = false
    if (!watching) return
    // no reply within the window
    watching = false
    quick = 0
    needed = Math.min(MAX_QUICK_NEEDED, needed * 2)
  }
  return {
    sent: () => {
      sentAt = performance.now()
      if (quick < needed) return
      deadline = sentAt + windowMs
      watching = true
      if (turning) return
      turning = true
      setImmediate(turn)
    },
    replied: () => {
      if (watching) {
        // within the window
        needed = 1
        watching = false
      } else if (sentAt >= 0) {
        quick = performance.now() - sentAt <= windowMs ? quick + 1 : 0
      }
      sentAt = -1
    },
    stop: () => {
      sentAt = -1
      watching = false
    },
    turning: () => turning
  }
}

/** A frame of the platform runner's framing: `[0, requests]`, or `[1]` to close. */
export type Frame = readonly [number, unknown?]

/** The worker's side. */
export interface IdleSpin {
  /**
   * A message came (through the event loop, or caught by a poll): the worker has work. The window grows back if
   * the worker, asleep, was woken within the longest.
   */
  readonly received: () => void
  /** A message left the worker nothing to run and nothing to send (an interrupt of a finished task). */
  readonly quiet: () => void
  /**
   * The worker has replied and has nothing left to run: poll, if it may, and hand over the frame caught, if any.
   * Whether it polled.
   */
  readonly idle: (onFrame: (frame: Frame) => void) => boolean
}

export const make = (config: WorkerConfig): IdleSpin => {
  const parentPort = WorkerThreads.parentPort
  const spinMaxMs = config.idleSpinMicros / 1000
  let windowMs = spinMaxMs
  let idleSince = -1
  const flags = config.activity === undefined || config.sequential === undefined || config.activitySlot < 0 ||
      parentPort === null
    ? undefined
    : new Int32Array(config.activity)
  const sequential = config.sequential === undefined ? undefined : new Int32Array(config.sequential)
  const spinCores = Os.availableParallelism() - 1
  let active = false
  const setActive = (on: boolean) => {
    if (flags === undefined || active === on) return
    active = on
    Atomics.store(flags, config.activitySlot, on ? 1 : 0)
  }
  const mayPoll = (flags: Int32Array): boolean => {
    if (windowMs === 0 || Atomics.load(sequential!, 0) !== 1) return false
    let others = 0
    for (let i = 0; i < ACTIVITY_SLOTS; i++) if (i !== config.activitySlot) others += Atomics.load(flags, i)
    return others < spinCores
  }
  return {
    received: () => {
      setActive(true)
      if (idleSince < 0) return
      const waited = performance.now() - idleSince
      if (waited <= spinMaxMs) windowMs = Math.min(spinMaxMs, Math.max(windowMs * 2, waited * 2))
      idleSince = -1
    },
    quiet: () => setActive(false),
    idle: (onFrame) => {
      setActive(false)
      if (flags === undefined || parentPort === null || !mayPoll(flags)) {
        idleSince = performance.now()
        return false
      }
      setActive(true)
      const deadline = performance.now() + windowMs
      let received: { message: unknown } | undefined
      let now: number
      do {
        received = WorkerThreads.receiveMessageOnPort(parentPort)
        now = performance.now()
      } while (received === undefined && now < deadline)
      if (received === undefined) {
        setActive(false)
        windowMs = windowMs < spinMaxMs / 16 ? 0 : windowMs / 2
        idleSince = now
        return true
      }
      idleSince = -1
      const frame = received.message as Frame
      if (frame[0] !== 0) setActive(false)
      onFrame(frame)
      return true
    }
  }
}
