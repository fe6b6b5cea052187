/**
 * Operations on state in shared memory guarded by a `SharedLock`: each attempt runs synchronously
 * with the lock held; between attempts that cannot complete, the fiber waits (interruptibly, with
 * an optional Clock timeout) for a word that whoever changes the state bumps and notifies.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type { SharedLock } from "../SharedLock.js"
import * as shared from "./shared.js"
import * as mutex from "./sharedLock.js"

const lockWait = () => undefined as never

// Ops an operation runs, at most, from the last check below to the end of its uninterruptible
// region (without waiting: a fiber that resumes from a wait starts counting from 0).
const HEADROOM = 256

/**
 * Makes sure the fiber will not yield (and so cannot be sent an interruption) for the next
 * `HEADROOM` ops: an interruption that arrived after the attempt that changed the shared state would
 * discard its result at the end of the uninterruptible region (items taken from a queue would be lost).
 */
const withHeadroom = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.withFiberRuntime((fiber) =>
    fiber.currentOpCount + HEADROOM > fiber.getFiberRef(FiberRef.currentMaxOpsBeforeYield)
      ? Effect.zipRight(Effect.yieldNow(), effect)
      : effect
  )

/**
 * Runs `f` holding `lock`, within an uninterruptible region. The lock is only ever held
 * for a synchronous `f`, so waiting for it is short and done uninterruptibly; once it is held, an
 * interruption that arrived meanwhile is taken (through `restore`) before `f` can change anything.
 */
export const locked = <A>(lock: SharedLock, restore: shared.Restore, f: () => A): Effect.Effect<A> =>
  withHeadroom(Effect.flatMap(mutex.acquire(lock, undefined, lockWait), () =>
    Effect.flatMap(
      Effect.onInterrupt(restore(Effect.void), () => mutex.release(lock)),
      () => {
        let result: A
        try {
          result = f()
        } catch (error) {
          return Effect.zipRight(mutex.release(lock), Effect.die(error))
        }
        return Effect.as(mutex.release(lock), result)
      }
    )))

/**
 * Like `shared.blockingLoop`, with each attempt made holding `lock`. Attempts run
 * uninterruptibly; only the waits between them are interruptible (through `restore`), so an
 * interrupted or timed-out operation has either completed whole or changed nothing.
 */
const waitLoop = <A, E>(
  lock: SharedLock,
  attempt: (on: shared.WaitOn) => A | typeof shared.Blocked,
  restore: shared.Restore,
  timeoutMs: number | undefined,
  onTimeout: () => E
): Effect.Effect<A, E> => {
  const on = new shared.WaitOn()
  const once = locked(lock, restore, () => attempt(on))
  const loop = (deadline: number | undefined): Effect.Effect<A, E> =>
    Effect.flatMap(once, (result): Effect.Effect<A, E> => {
      if (result !== shared.Blocked) return Effect.succeed(result)
      const { counter, expected, i32, index } = on
      const waited: Effect.Effect<boolean> = deadline === undefined
        ? Effect.as(restore(shared.waitOn(i32, index, expected)), true)
        : Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const remaining = deadline - now
          if (remaining <= 0) return Effect.succeed(false)
          // the wait and its timer, interruptible together
          return restore(Effect.map(
            Effect.timeoutOption(shared.waitOn(i32, index, expected, remaining), remaining),
            (option) => option._tag === "Some"
          ))
        })
      Atomics.add(i32, counter, 1)
      return Effect.ensuring(waited, Effect.sync(() => Atomics.sub(i32, counter, 1))).pipe(
        Effect.flatMap((inTime) =>
          inTime
            ? loop(deadline)
            : Effect.flatMap(once, (last) => last !== shared.Blocked ? Effect.succeed(last) : Effect.fail(onTimeout()))
        )
      )
    })
  if (timeoutMs === undefined) return loop(undefined)
  return Effect.flatMap(Clock.currentTimeMillis, (now) => loop(now + timeoutMs))
}

/** `timeoutMs`: undefined waits without limit; `NOW` does not wait at all. */
export const NOW = -1

/**
 * Runs an operation, its attempts, its waits and `onDone` on the result, in one uninterruptible
 * region: an interruption that arrives while the operation is not waiting is taken at the next
 * attempt, before it changes anything.
 */
export const run = <A, E, B, E2>(
  lock: SharedLock,
  attempt: (on: shared.WaitOn) => A | typeof shared.Blocked,
  timeoutMs: number | undefined,
  onBlocked: (millis: number | undefined) => E,
  onDone: (a: A) => Effect.Effect<B, E2>
): Effect.Effect<B, E | E2> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      timeoutMs === NOW
        ? Effect.flatMap(
          locked(lock, restore, () => attempt(new shared.WaitOn())),
          (result) => result === shared.Blocked ? Effect.fail(onBlocked(undefined)) : Effect.succeed(result)
        )
        : waitLoop(lock, attempt, restore, timeoutMs, () => onBlocked(timeoutMs)),
      onDone
    )
  )
