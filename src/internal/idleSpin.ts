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
 * How many of a pool's workers (by index) may spin while idle: the rest never do. The Int32 after their flags
 * is set by the pool while it has one task in flight (and none queued): workers spin only then.
 */
export const ACTIVITY_SLOTS = 64

/** The buffer of a pool's activity flags, if its workers may spin. */
export const makeActivity = (idleSpinMicros: number): SharedArrayBuffer | undefined =>
  idleSpinMicros > 0 ? new SharedArrayBuffer(4 * (ACTIVITY_SLOTS + 1)) : undefined

/** Clears the flag of the worker at `index` (it has ended, or its predecessor at this index has). */
export const clearActivity = (activity: SharedArrayBuffer | undefined, index: number): void => {
  if (activity !== undefined && index >= 0 && index < ACTIVITY_SLOTS) Atomics.store(new Int32Array(activity), index, 0)
}

/** The pool's side: tells its workers whether it has one task in flight (and none queued). */
export const makeSequentialFlag = (activity: SharedArrayBuffer | undefined): (on: boolean) => void => {
  if (activity === undefined) return () => {}
  const flags = new Int32Array(activity)
  let current = false
  return (on) => {
    if (current === on) return
    current = on
    Atomics.store(flags, ACTIVITY_SLOTS, on ? 1 : 0)
  }
}

/** A frame of the platform runner's framing: `[0, requests]`, or `[1]` to close. */
export type Frame = readonly [number, unknown?]

/** The worker's side. */
export interface IdleSpin {
  /** Whether this worker may ever poll (it is a thread, and the pool's workers may spin). */
  readonly polls: boolean
  /**
   * A message came (through the event loop, or caught by a poll): the worker has work. The window grows back if
   * the worker, asleep, was woken within the longest.
   */
  readonly received: () => void
  /** A message left the worker nothing to run and nothing to send (an interrupt of a finished task). */
  readonly quiet: () => void
  /** The worker has replied and has nothing left to run: poll, and hand over the frame caught, if any. */
  readonly idle: (onFrame: (frame: Frame) => void) => void
}

export const make = (config: WorkerConfig): IdleSpin => {
  const parentPort = WorkerThreads.parentPort
  const spinMaxMs = config.idleSpinMicros / 1000
  let windowMs = spinMaxMs
  let idleSince = -1
  const flags = config.activity === undefined || config.activitySlot < 0 || parentPort === null
    ? undefined
    : new Int32Array(config.activity)
  const spinCores = Os.availableParallelism() - 1
  let active = false
  const setActive = (on: boolean) => {
    if (flags === undefined || active === on) return
    active = on
    Atomics.store(flags, config.activitySlot, on ? 1 : 0)
  }
  const mayPoll = (flags: Int32Array): boolean => {
    if (windowMs === 0 || Atomics.load(flags, ACTIVITY_SLOTS) !== 1) return false
    let others = 0
    for (let i = 0; i < ACTIVITY_SLOTS; i++) if (i !== config.activitySlot) others += Atomics.load(flags, i)
    return others < spinCores
  }
  return {
    polls: flags !== undefined && spinCores > 0,
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
        return
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
        return
      }
      idleSince = -1
      const frame = received.message as Frame
      if (frame[0] !== 0) setActive(false)
      onFrame(frame)
    }
  }
}
