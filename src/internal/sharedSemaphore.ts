import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as api from "../SharedSemaphore.js"
import * as shared from "./shared.js"

const PERMITS = 0
const WAITERS = 1
const WORDS = 2

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedSemaphore") as api.TypeId

interface Semaphore extends api.SharedSemaphore {
  readonly i32: Int32Array
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Semaphore) {
    return { _id: "SharedSemaphore", available: Atomics.load(this.i32, PERMITS) }
  }
}

export const isSharedSemaphore: (u: unknown) => u is api.SharedSemaphore = shared.isRecordWith(TypeId) as any

const fromBuffer = (buffer: SharedArrayBuffer): Semaphore | string => {
  if (buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${buffer.byteLength}`
  const self = Object.create(Proto)
  self.buffer = buffer
  self.i32 = new Int32Array(buffer)
  return self
}

const checkCount = (what: string, n: number): void => {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`${what} must be an integer from 0 to 2^31 - 1, got ${n}`)
  }
}

export const unsafeMake = (permits: number): api.SharedSemaphore => {
  checkCount("SharedSemaphore.make: permits", permits)
  const buffer = new SharedArrayBuffer(WORDS * 4)
  new Int32Array(buffer)[PERMITS] = permits
  return fromBuffer(buffer) as Semaphore
}

export const make = (permits: number): Effect.Effect<api.SharedSemaphore> => Effect.sync(() => unsafeMake(permits))

const tryTakeSync = (i32: Int32Array, n: number): boolean => {
  for (;;) {
    const available = Atomics.load(i32, PERMITS)
    if (available < n) return false
    if (Atomics.compareExchange(i32, PERMITS, available, available - n) === available) return true
  }
}

const takeWith = <E>(
  self: Semaphore,
  n: number,
  restore: shared.Restore,
  timeoutMs: number | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E> =>
  Effect.asVoid(shared.blockingLoop(
    (on) => {
      for (;;) {
        const available = Atomics.load(self.i32, PERMITS)
        // Counted as a waiter before waiting on `available`: a release either sees the waiter and
        // wakes it, or changed the permits before the wait began, which then returns at once.
        if (available < n) return on.block(self.i32, PERMITS, available, WAITERS)
        if (Atomics.compareExchange(self.i32, PERMITS, available, available - n) === available) return true
      }
    },
    restore,
    timeoutMs,
    () => Effect.fail(onTimeout(timeoutMs!))
  ))

const checked = <A, E, R>(what: string, n: number, f: () => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    checkCount(what, n)
    return f()
  })

export const take = <E>(
  self: api.SharedSemaphore,
  n: number,
  timeout: api.SharedSemaphore.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E> =>
  checked("SharedSemaphore.take: permits", n, () =>
    shared.withTimeout(timeout, (ms) =>
      Effect.uninterruptibleMask((restore) => takeWith(self as Semaphore, n, restore, ms, onTimeout))))

export const tryTake = (self: api.SharedSemaphore, n: number): Effect.Effect<boolean> =>
  checked("SharedSemaphore.tryTake: permits", n, () => Effect.sync(() => tryTakeSync((self as Semaphore).i32, n)))

const releaseSync = (self: Semaphore, n: number): void => {
  const before = Atomics.add(self.i32, PERMITS, n)
  if (before + n > 0x7fffffff) {
    Atomics.sub(self.i32, PERMITS, n)
    throw new RangeError("SharedSemaphore.release: more than 2^31 - 1 permits")
  }
  // Waiters may want different numbers of permits: wake them all, each re-checks.
  if (Atomics.load(self.i32, WAITERS) > 0) Atomics.notify(self.i32, PERMITS)
}

export const release = (self: api.SharedSemaphore, n: number): Effect.Effect<void> =>
  checked("SharedSemaphore.release: permits", n, () => Effect.sync(() => releaseSync(self as Semaphore, n)))

export const withPermits = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  self: api.SharedSemaphore,
  n: number,
  timeout: api.SharedSemaphore.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E2
): Effect.Effect<A, E | E2, R> =>
  checked("SharedSemaphore.withPermits: permits", n, () =>
    shared.withTimeout(timeout, (ms) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          takeWith(self as Semaphore, n, restore, ms, onTimeout),
          Effect.ensuring(restore(effect), Effect.sync(() => releaseSync(self as Semaphore, n)))
        )
      )))

export const available = (self: api.SharedSemaphore): Effect.Effect<number> =>
  Effect.sync(() => Atomics.load((self as Semaphore).i32, PERMITS))

export const schema: Schema.Schema<api.SharedSemaphore, api.SharedSemaphore.Encoded> = shared.handleSchema({
  identifier: "SharedSemaphore",
  encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf }),
  is: isSharedSemaphore,
  toEncoded: (self) => ({ buffer: self.buffer }),
  fromEncoded: ({ buffer }) => fromBuffer(buffer)
})
