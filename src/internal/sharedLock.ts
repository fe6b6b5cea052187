import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type * as api from "../SharedLock.js"
import * as shared from "./shared.js"

const STATE = 0
const ID_0 = 1
const ID_1 = 2
const FLAGS = 3
const WORDS = 4

// STATE: Drepper's futex mutex ("Futexes Are Tricky", mutex 3)
const UNLOCKED = 0
const LOCKED = 1
const CONTENDED = 2

const FLAG_REENTRANT = 1

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedLock") as api.TypeId

interface Lock extends api.SharedLock {
  readonly i32: Int32Array
  readonly key: string
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Lock) {
    return { _id: "SharedLock", locked: Atomics.load(this.i32, STATE) !== UNLOCKED, reentrant: this.reentrant }
  }
}

export const isSharedLock: (u: unknown) => u is api.SharedLock = shared.isRecordWith(TypeId) as any

export const fromBuffer = (buffer: SharedArrayBuffer): Lock | string => {
  if (buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${buffer.byteLength}`
  const i32 = new Int32Array(buffer)
  const self = Object.create(Proto)
  self.buffer = buffer
  self.i32 = i32
  self.reentrant = (Atomics.load(i32, FLAGS) & FLAG_REENTRANT) !== 0
  self.key = `${Atomics.load(i32, ID_0)}:${Atomics.load(i32, ID_1)}`
  return self
}

export const unsafeMake = (options?: api.SharedLock.Options): api.SharedLock => {
  const buffer = new SharedArrayBuffer(WORDS * 4)
  const i32 = new Int32Array(buffer)
  i32[ID_0] = shared.randomWord()
  i32[ID_1] = shared.randomWord()
  i32[FLAGS] = options?.reentrant === true ? FLAG_REENTRANT : 0
  return fromBuffer(buffer) as Lock
}

export const make = (options?: api.SharedLock.Options): Effect.Effect<api.SharedLock> =>
  Effect.sync(() => unsafeMake(options))

// The locks a fiber holds, for reentrant locks only: counts by lock key. A forked fiber starts with
// none and never passes its own back to its parent.
const held = FiberRef.unsafeMake(HashMap.empty<string, number>(), {
  fork: () => HashMap.empty(),
  join: (parent) => parent
})

const tryLock = (i32: Int32Array): boolean => Atomics.compareExchange(i32, STATE, UNLOCKED, LOCKED) === UNLOCKED

const lockAttempt = (i32: Int32Array) => {
  let first = true
  return (on: shared.WaitOn): true | typeof shared.Blocked => {
    if (first) {
      first = false
      if (tryLock(i32)) return true
    }
    // Mark the lock contended: whoever holds it will wake a waiter when it unlocks.
    if (Atomics.exchange(i32, STATE, CONTENDED) === UNLOCKED) return true
    return on.block(i32, STATE, CONTENDED)
  }
}

const unlock = (self: Lock): Effect.Effect<void> =>
  Effect.suspend(() => {
    const previous = Atomics.exchange(self.i32, STATE, UNLOCKED)
    if (previous === UNLOCKED) return shared.die("SharedLock.release: the lock is not locked")
    if (previous === CONTENDED) Atomics.notify(self.i32, STATE, 1)
    return Effect.void
  })

const heldCount = (self: Lock, counts: HashMap.HashMap<string, number>): number =>
  Option.getOrElse(HashMap.get(counts, self.key), () => 0)

const acquireWith = <E>(
  lock: api.SharedLock,
  restore: shared.Restore,
  timeoutMs: number | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E> => {
  const self = lock as Lock
  const acquire = shared.blockingLoop(
    lockAttempt(self.i32),
    restore,
    timeoutMs,
    () => Effect.fail(onTimeout(timeoutMs!))
  )
  if (!self.reentrant) return Effect.asVoid(acquire)
  return Effect.flatMap(FiberRef.get(held), (counts) => {
    const count = heldCount(self, counts)
    if (count > 0) return FiberRef.set(held, HashMap.set(counts, self.key, count + 1))
    return Effect.zipRight(acquire, FiberRef.update(held, HashMap.set(self.key, 1)))
  })
}

export const acquire = <E>(
  self: api.SharedLock,
  timeout: api.SharedLock.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E> =>
  shared.withTimeout(timeout, (ms) => Effect.uninterruptibleMask((restore) => acquireWith(self, restore, ms, onTimeout)))

export const tryAcquire = (lock: api.SharedLock): Effect.Effect<boolean> => {
  const self = lock as Lock
  if (!self.reentrant) return Effect.sync(() => tryLock(self.i32))
  return Effect.uninterruptible(FiberRef.get(held).pipe(Effect.flatMap((counts) => {
    const count = heldCount(self, counts)
    if (count > 0) return Effect.as(FiberRef.set(held, HashMap.set(counts, self.key, count + 1)), true)
    if (!tryLock(self.i32)) return Effect.succeed(false)
    return Effect.as(FiberRef.set(held, HashMap.set(counts, self.key, 1)), true)
  })))
}

export const release = (lock: api.SharedLock): Effect.Effect<void> => {
  const self = lock as Lock
  if (!self.reentrant) return unlock(self)
  return Effect.uninterruptible(FiberRef.get(held).pipe(Effect.flatMap((counts) => {
    const count = heldCount(self, counts)
    if (count === 0) return shared.die("SharedLock.release: this fiber does not hold the reentrant lock")
    if (count > 1) return FiberRef.set(held, HashMap.set(counts, self.key, count - 1))
    return Effect.zipRight(FiberRef.set(held, HashMap.remove(counts, self.key)), unlock(self))
  })))
}

export const withLock = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  self: api.SharedLock,
  timeout: api.SharedLock.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E2
): Effect.Effect<A, E | E2, R> =>
  shared.withTimeout(timeout, (ms) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(acquireWith(self, restore, ms, onTimeout), Effect.ensuring(restore(effect), release(self)))
    ))

export const acquireScoped = <E>(
  self: api.SharedLock,
  timeout: api.SharedLock.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E, Scope.Scope> =>
  shared.withTimeout(timeout, (ms) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        acquireWith(self, restore, ms, onTimeout),
        // On the scope itself, the release runs with the FiberRefs of the fiber that closes it. (Effect.addFinalizer
        // would run it with this moment's, and then undo what it did to them: a reentrant lock's count of holds.)
        Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, releaseScoped(self)))
      )
    ))

/** Gives back a hold taken by `acquireScoped`, from the fiber that closes its scope. */
const releaseScoped = (self: api.SharedLock): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(held), (counts) =>
    (self as Lock).reentrant && heldCount(self as Lock, counts) > 0
      ? release(self)
      // a non-reentrant lock, or a scope closed by a fiber that does not count this hold as its own
      : unlock(self as Lock))

/**
 * For a condition's wait: lets go of the lock completely (every hold of a reentrant lock), and says
 * how many holds to take back. Dies if the lock is not held (by this fiber, for a reentrant lock).
 */
export const releaseAll = (lock: api.SharedLock, what: string): Effect.Effect<number> => {
  const self = lock as Lock
  if (!self.reentrant) {
    return Effect.suspend(() =>
      Atomics.load(self.i32, STATE) === UNLOCKED
        ? shared.die(`${what}: the condition's lock is not held`)
        : Effect.as(unlock(self), 1)
    )
  }
  return Effect.flatMap(FiberRef.get(held), (counts) => {
    const count = heldCount(self, counts)
    if (count === 0) return shared.die(`${what}: this fiber does not hold the condition's lock`)
    return Effect.as(Effect.zipRight(FiberRef.set(held, HashMap.remove(counts, self.key)), unlock(self)), count)
  })
}

/** Takes the lock back with `count` holds after `releaseAll`; waits for it uninterruptibly. */
export const reacquire = (lock: api.SharedLock, count: number): Effect.Effect<void> => {
  const self = lock as Lock
  // no timeout, so never onTimeout; `restore` is the identity: the wait is uninterruptible
  const acquire: Effect.Effect<void> = Effect.asVoid(
    shared.blockingLoop<true, never>(lockAttempt(self.i32), (effect) => effect, undefined, () => Effect.never)
  )
  return self.reentrant ? Effect.zipRight(acquire, FiberRef.update(held, HashMap.set(self.key, count))) : acquire
}

/** Whether the lock is held (for a reentrant lock: by this fiber). */
export const isHeld = (lock: api.SharedLock): Effect.Effect<boolean> => {
  const self = lock as Lock
  if (!self.reentrant) return Effect.sync(() => Atomics.load(self.i32, STATE) !== UNLOCKED)
  return Effect.map(FiberRef.get(held), (counts) => heldCount(self, counts) > 0)
}

export const isLocked = (self: api.SharedLock): Effect.Effect<boolean> =>
  Effect.sync(() => Atomics.load((self as Lock).i32, STATE) !== UNLOCKED)

export const schema: Schema.Schema<api.SharedLock, api.SharedLock.Encoded> = shared.handleSchema({
  identifier: "SharedLock",
  encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf }),
  is: isSharedLock,
  toEncoded: (self) => ({ buffer: self.buffer }),
  fromEncoded: ({ buffer }) => fromBuffer(buffer)
})
