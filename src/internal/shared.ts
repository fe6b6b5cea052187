import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"

type WaitAsyncResult =
  | { readonly async: false; readonly value: "not-equal" | "timed-out" }
  | { readonly async: true; readonly value: Promise<"ok" | "timed-out"> }

// ES2024 (Node >= 16); the project compiles against the ES2022 lib.
const waitAsync = (Atomics as unknown as {
  waitAsync: (i32: Int32Array, index: number, expected: number, timeout?: number) => WaitAsyncResult
}).waitAsync

/**
 * Waits, without blocking the thread, until `i32[index]` is notified or no longer holds `expected`
 * (true), or until `timeoutMs` has passed (false). Wake-ups may be spurious: callers re-check their
 * condition.
 *
 * An interrupted waiter cannot withdraw from V8's waiter list. If it is later woken by a
 * `notify(…, 1)` meant for a live waiter, it passes the wake-up on, so no wake-up is lost; so does
 * a waiter interrupted after its wake-up but before its caller could act on it.
 * A `timeoutMs` bounds how long such an abandoned waiter can stay registered.
 *
 * Like `Deferred.await`, a pending wait does not keep the process alive: whoever will wake it (a
 * worker thread, a timer, I/O) does.
 */
export const waitOn = (i32: Int32Array, index: number, expected: number, timeoutMs?: number): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    let woken = false
    return Effect.onInterrupt(
      Effect.async<boolean>((resume) => {
        const result = waitAsync(i32, index, expected, timeoutMs)
        if (!result.async) {
          // "not-equal", or "timed-out" at once for a timeout of 0
          resume(Effect.succeed(result.value === "not-equal"))
          return
        }
        let waiting = true
        result.value.then((outcome) => {
          if (waiting) {
            waiting = false
            woken = outcome === "ok"
            // false: its own timeout ran out
            resume(Effect.succeed(woken))
          } else if (outcome === "ok") {
            Atomics.notify(i32, index, 1)
          }
        })
        return Effect.sync(() => {
          waiting = false
        })
      }),
      // woken, then interrupted (or timed out) before its caller could act on the wake-up: it goes on too
      () =>
        Effect.sync(() => {
          if (woken) Atomics.notify(i32, index, 1)
        })
    )
  })

/** What an attempt that cannot complete yet waits on. */
export class WaitOn {
  i32: Int32Array = undefined as unknown as Int32Array
  index = 0
  expected = 0
  /** A word counting the waiters, incremented while waiting, or -1. */
  counter = -1
  block(i32: Int32Array, index: number, expected: number, counter = -1): typeof Blocked {
    this.i32 = i32
    this.index = index
    this.expected = expected
    this.counter = counter
    return Blocked
  }
}

export const Blocked: unique symbol = Symbol.for("effect-parallel/Shared/Blocked")

export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * Runs `attempt` until it completes. Attempts are synchronous and run uninterruptibly; only the waits
 * between them are interruptible (through `restore`), so an interruption or a timeout never lands
 * between a successful attempt and its caller. `onTimeout` runs, uninterruptibly, once the deadline
 * passes while blocked.
 */
export const blockingLoop = <A, E>(
  attempt: (on: WaitOn) => A | typeof Blocked,
  restore: Restore,
  timeoutMs: number | undefined,
  onTimeout: () => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const on = new WaitOn()
    const first = attempt(on)
    if (first !== Blocked) return Effect.succeed(first)
    const wait = (deadline: number | undefined): Effect.Effect<A, E> => {
      const counted = on.counter >= 0
      if (counted) Atomics.add(on.i32, on.counter, 1)
      const waited: Effect.Effect<boolean> = deadline === undefined
        ? Effect.as(restore(waitOn(on.i32, on.index, on.expected)), true)
        : Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const remaining = deadline - now
          if (remaining <= 0) return Effect.succeed(false)
          return Effect.map(
            Effect.timeoutOption(restore(waitOn(on.i32, on.index, on.expected, remaining)), remaining),
            Option.isSome
          )
        })
      const counter = on.counter
      const i32 = on.i32
      return (counted ? Effect.ensuring(waited, Effect.sync(() => Atomics.sub(i32, counter, 1))) : waited).pipe(
        Effect.flatMap((inTime) => {
          const next = attempt(on)
          if (next !== Blocked) return Effect.succeed(next)
          return inTime ? wait(deadline) : onTimeout()
        })
      )
    }
    if (timeoutMs === undefined) return wait(undefined)
    return Effect.flatMap(Clock.currentTimeMillis, (now) => wait(now + timeoutMs))
  })

/**
 * A timeout option in milliseconds: none for an infinite one, as a task's timeout (a defect if it is not a
 * non-negative duration).
 */
export const toMillis = (timeout: Duration.DurationInput | undefined): number | undefined => {
  if (timeout === undefined) return undefined
  const millis = Duration.toMillis(Duration.decode(timeout))
  if (millis === Infinity) return undefined
  if (!Number.isFinite(millis) || millis < 0) {
    throw new RangeError(`a timeout must be a finite, non-negative duration, got ${String(timeout)}`)
  }
  return millis
}

export const withTimeout = <A, E, R>(
  timeout: Duration.DurationInput | undefined,
  f: (timeoutMs: number | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.suspend(() => f(toMillis(timeout)))

export const BaseProto = {
  pipe() {
    return pipeArguments(this, arguments)
  },
  toString(this: { toJSON(): unknown }) {
    return format(this.toJSON())
  },
  [NodeInspectSymbol](this: { toJSON(): unknown }) {
    return this.toJSON()
  }
}

export const isRecordWith = (typeId: symbol) => (u: unknown): boolean =>
  typeof u === "object" && u !== null && typeId in u

export const die = (message: string): Effect.Effect<never> => Effect.die(new Error(message))

/** A `SharedArrayBuffer`, checked with `instanceof` in the realm that decodes it. */
export const SharedArrayBufferFromSelf: Schema.Schema<SharedArrayBuffer> = Schema.declare(
  (u): u is SharedArrayBuffer => u instanceof SharedArrayBuffer,
  { identifier: "SharedArrayBuffer" }
)

/**
 * A Schema that carries a handle across a thread boundary: encoded as the plain struct that holds its
 * SharedArrayBuffer (which structured clone shares rather than copies) and decoded back into a handle
 * over the same memory. A transformation, not an identity, so that the pool never sends a handle as a
 * bare object that would lose its prototype.
 */
export const handleSchema = <A, I extends { readonly buffer: SharedArrayBuffer }>(options: {
  readonly identifier: string
  readonly encoded: Schema.Schema<I>
  readonly is: (u: unknown) => u is A
  readonly toEncoded: (a: A) => I
  /** Rebuilds the handle, or says why the memory does not fit. */
  readonly fromEncoded: (i: I) => A | string
}): Schema.Schema<A, I> =>
  Schema.transformOrFail(
    options.encoded,
    Schema.declare(options.is, { identifier: options.identifier }),
    {
      strict: true,
      decode: (i, _, ast) => {
        const decoded = options.fromEncoded(i)
        return typeof decoded === "string"
          ? ParseResult.fail(new ParseResult.Type(ast, i, `not a ${options.identifier}: ${decoded}`))
          : ParseResult.succeed(decoded)
      },
      encode: (a) => ParseResult.succeed(options.toEncoded(a))
    }
  ).annotations({ identifier: options.identifier })

/** `make` memoised by its key (a Schema per element kind, built once). */
export const memoized = <K, A>(make: (key: K) => A): (key: K) => A => {
  const cache = new Map<K, A>()
  return (key) => {
    let value = cache.get(key)
    if (value === undefined) {
      value = make(key)
      cache.set(key, value)
    }
    return value
  }
}

/** A random 32-bit word, to tell apart handles of different memory. */
export const randomWord = (): number => (Math.random() * 0x100000000) | 0
