import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as api from "../SharedCondition.js"
import type { SharedLock } from "../SharedLock.js"
import * as shared from "./shared.js"
import * as lockInternal from "./sharedLock.js"

// SEQ counts notifications: a waiter waits for it to move from the value it read while holding the lock.
const SEQ = 0
const ID_0 = 1
const ID_1 = 2
const WORDS = 4

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedCondition") as api.TypeId

interface Condition extends api.SharedCondition {
  readonly i32: Int32Array
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Condition) {
    return { _id: "SharedCondition", notifications: Atomics.load(this.i32, SEQ), lock: this.lock.toJSON() }
  }
}

export const isSharedCondition: (u: unknown) => u is api.SharedCondition = shared.isRecordWith(TypeId) as any

const fromBuffers = (buffer: SharedArrayBuffer, lockBuffer: SharedArrayBuffer): Condition | string => {
  if (buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${buffer.byteLength}`
  const lock = lockInternal.fromBuffer(lockBuffer)
  if (typeof lock === "string") return `its lock: ${lock}`
  const self = Object.create(Proto)
  self.buffer = buffer
  self.i32 = new Int32Array(buffer)
  self.lock = lock
  return self
}

export const unsafeMake = (options?: api.SharedCondition.Options): api.SharedCondition => {
  const buffer = new SharedArrayBuffer(WORDS * 4)
  const i32 = new Int32Array(buffer)
  i32[ID_0] = shared.randomWord()
  i32[ID_1] = shared.randomWord()
  const lock = options?.lock ?? lockInternal.unsafeMake()
  return fromBuffers(buffer, lock.buffer) as Condition
}

export const make = (options?: api.SharedCondition.Options): Effect.Effect<api.SharedCondition> =>
  Effect.sync(() => unsafeMake(options))

/**
 * Lets go of the lock, waits for a notification (or the timeout), and takes the lock back before
 * returning, whatever happened: notified, timed out or interrupted (the interruption goes on once the
 * lock is held again, so an enclosing `withLock` releases what it holds).
 */
const waitOnce = (self: Condition, timeoutMs: number | undefined): Effect.Effect<boolean> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      const seen = Atomics.load(self.i32, SEQ)
      return Effect.flatMap(lockInternal.releaseAll(self.lock, "SharedCondition.wait"), (holds) => {
        const wait = restore(shared.waitOn(self.i32, SEQ, seen, timeoutMs))
        // the wait's own timeout gives false (its timer may run out before the Effect's, which interrupts it)
        const notified: Effect.Effect<boolean> = timeoutMs === undefined
          ? wait
          : Effect.map(Effect.timeoutOption(wait, timeoutMs), Option.getOrElse(() => false))
        return Effect.flatMap(Effect.exit(notified), (exit) =>
          Effect.zipRight(lockInternal.reacquire(self.lock, holds), exit))
      })
    })
  )

export const wait = (self: api.SharedCondition, timeout: api.SharedCondition.TimeoutOptions["timeout"] | undefined) =>
  shared.withTimeout(timeout, (ms) => waitOnce(self as Condition, ms))

export const waitFor = <E, R>(
  self: api.SharedCondition,
  predicate: Effect.Effect<boolean, E, R>,
  timeout: api.SharedCondition.TimeoutOptions["timeout"] | undefined
): Effect.Effect<boolean, E, R> =>
  shared.withTimeout(timeout, (ms) =>
    Effect.flatMap(Clock.currentTimeMillis, (start) => {
      const loop: Effect.Effect<boolean, E, R> = Effect.flatMap(predicate, (ok) => {
        if (ok) return Effect.succeed(true)
        if (ms === undefined) return Effect.zipRight(waitOnce(self as Condition, undefined), loop)
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const remaining = start + ms - now
          if (remaining <= 0) return Effect.succeed(false)
          return Effect.zipRight(waitOnce(self as Condition, remaining), loop)
        })
      })
      return loop
    }))

const notifyWith = (self: api.SharedCondition, count: number, what: string): Effect.Effect<void> =>
  Effect.flatMap(lockInternal.isHeld(self.lock), (held) => {
    if (!held) return shared.die(`${what}: the condition's lock is not held`)
    const i32 = (self as Condition).i32
    Atomics.add(i32, SEQ, 1)
    Atomics.notify(i32, SEQ, count)
    return Effect.void
  })

export const notify = (self: api.SharedCondition, n: number): Effect.Effect<void> =>
  Number.isInteger(n) && n > 0
    ? notifyWith(self, n, "SharedCondition.notify")
    : shared.die(`SharedCondition.notify: n must be a positive integer, got ${n}`)

export const notifyAll = (self: api.SharedCondition): Effect.Effect<void> =>
  notifyWith(self, Number.POSITIVE_INFINITY, "SharedCondition.notifyAll")

export const lockOf = (self: api.SharedCondition): SharedLock => self.lock

export const schema: Schema.Schema<api.SharedCondition, api.SharedCondition.Encoded> = shared.handleSchema({
  identifier: "SharedCondition",
  encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf, lock: shared.SharedArrayBufferFromSelf }),
  is: isSharedCondition,
  toEncoded: (self) => ({ buffer: self.buffer, lock: self.lock.buffer }),
  fromEncoded: ({ buffer, lock }) => fromBuffers(buffer, lock)
})
