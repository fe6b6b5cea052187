import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as api from "../SharedBarrier.js"
import * as shared from "./shared.js"

// STATE packs the barrier into one word so that arriving, tripping and breaking are single CASes:
// bit 30 broken, bits 16-29 the generation, bits 0-15 how many parties of this generation wait.
const STATE = 0
const PARTIES = 1
// Bit (generation % 32) is set when that generation was broken, so that a waiter that wakes after a
// `reset` moved on to the next generation still learns that its own generation broke.
const BROKEN_GENERATIONS = 2
const WORDS = 3

const BROKEN = 1 << 30
const GENERATION_MASK = 0x3fff
const COUNT_MASK = 0xffff
export const MAX_PARTIES = 0x7fff

const generationOf = (state: number) => (state >>> 16) & GENERATION_MASK
const bitOf = (generation: number) => 1 << (generation & 31)
const nextGeneration = (generation: number) => ((generation + 1) & GENERATION_MASK) << 16

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedBarrier") as api.TypeId

interface Barrier extends api.SharedBarrier {
  readonly i32: Int32Array
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Barrier) {
    const state = Atomics.load(this.i32, STATE)
    return {
      _id: "SharedBarrier",
      parties: this.parties,
      waiting: (state & BROKEN) !== 0 ? 0 : state & COUNT_MASK,
      broken: (state & BROKEN) !== 0
    }
  }
}

export const isSharedBarrier: (u: unknown) => u is api.SharedBarrier = shared.isRecordWith(TypeId) as any

const fromBuffer = (buffer: SharedArrayBuffer): Barrier | string => {
  if (buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${buffer.byteLength}`
  const i32 = new Int32Array(buffer)
  const parties = Atomics.load(i32, PARTIES)
  if (parties < 1 || parties > MAX_PARTIES) return `invalid number of parties ${parties}`
  const self = Object.create(Proto)
  self.buffer = buffer
  self.i32 = i32
  self.parties = parties
  return self
}

export const unsafeMake = (parties: number): api.SharedBarrier => {
  if (!Number.isSafeInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
    throw new RangeError(`SharedBarrier.make: parties must be an integer from 1 to ${MAX_PARTIES}, got ${parties}`)
  }
  const buffer = new SharedArrayBuffer(WORDS * 4)
  new Int32Array(buffer)[PARTIES] = parties
  return fromBuffer(buffer) as Barrier
}

export const make = (parties: number): Effect.Effect<api.SharedBarrier> => Effect.sync(() => unsafeMake(parties))

/** Breaks the generation in `state` if the state is still `state`: its waiters fail. */
const tryBreak = (i32: Int32Array, state: number): boolean => {
  if (Atomics.compareExchange(i32, STATE, state, state | BROKEN) !== state) return false
  // No generation trips while broken, so the bit cannot be set for a generation that tripped.
  Atomics.or(i32, BROKEN_GENERATIONS, bitOf(generationOf(state)))
  Atomics.notify(i32, STATE)
  return true
}

const BrokenSignal: unique symbol = Symbol.for("effect-parallel/SharedBarrier/Broken")

/** How generation `generation` ended in `state` for the waiter with arrival `index`, or undefined if it has not. */
const outcome = (
  i32: Int32Array,
  state: number,
  generation: number,
  index: number
): number | typeof BrokenSignal | undefined => {
  if (generationOf(state) !== generation) {
    return (Atomics.load(i32, BROKEN_GENERATIONS) & bitOf(generation)) !== 0 ? BrokenSignal : index
  }
  return (state & BROKEN) !== 0 ? BrokenSignal : undefined
}

/** A waiter leaves before its generation ended (timeout, interruption): the generation breaks. */
const leave = (i32: Int32Array, generation: number, index: number): number | typeof BrokenSignal | undefined => {
  for (;;) {
    const state = Atomics.load(i32, STATE)
    const ended = outcome(i32, state, generation, index)
    if (ended !== undefined) return ended
    if (tryBreak(i32, state)) return undefined
  }
}

export const await_ = <E1, E2>(
  self: api.SharedBarrier,
  timeout: api.SharedBarrier.TimeoutOptions["timeout"] | undefined,
  onBroken: () => E1,
  onTimeout: (millis: number) => E2
): Effect.Effect<number, E1 | E2> =>
  shared.withTimeout(timeout, (ms) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend((): Effect.Effect<number, E1 | E2> => {
        const { i32, parties } = self as Barrier
        let generation: number
        let index: number
        for (;;) {
          const state = Atomics.load(i32, STATE)
          if ((state & BROKEN) !== 0) return Effect.fail(onBroken())
          generation = generationOf(state)
          index = state & COUNT_MASK
          if (index + 1 === parties) {
            const next = nextGeneration(generation)
            Atomics.and(i32, BROKEN_GENERATIONS, ~bitOf(generationOf(next)))
            if (Atomics.compareExchange(i32, STATE, state, next) === state) {
              Atomics.notify(i32, STATE)
              return Effect.succeed(index)
            }
          } else if (Atomics.compareExchange(i32, STATE, state, state + 1) === state) {
            break
          }
        }
        const settle = (ended: number | typeof BrokenSignal): Effect.Effect<number, E1> =>
          ended === BrokenSignal ? Effect.fail(onBroken()) : Effect.succeed(ended)
        return shared.blockingLoop<number | typeof BrokenSignal, E1 | E2>(
          (on) => {
            // Wait on the very state that was checked: a trip after the check changes it, so the
            // wait returns at once instead of missing the wake-up.
            const state = Atomics.load(i32, STATE)
            const ended = outcome(i32, state, generation, index)
            return ended !== undefined ? ended : on.block(i32, STATE, state)
          },
          restore,
          ms,
          () => {
            const ended = leave(i32, generation, index)
            return ended !== undefined ? Effect.succeed(ended) : Effect.fail(onTimeout(ms!))
          }
        ).pipe(
          Effect.onInterrupt(() => Effect.sync(() => leave(i32, generation, index))),
          Effect.flatMap(settle)
        )
      })
    ))

export const reset = (self: api.SharedBarrier): Effect.Effect<void> =>
  Effect.sync(() => {
    const i32 = (self as Barrier).i32
    for (;;) {
      const state = Atomics.load(i32, STATE)
      // Parties waiting in a healthy generation are broken first, so that they fail rather than pass.
      if ((state & BROKEN) === 0 && (state & COUNT_MASK) > 0) {
        tryBreak(i32, state)
        continue
      }
      const generation = generationOf(state)
      if ((state & BROKEN) !== 0) Atomics.or(i32, BROKEN_GENERATIONS, bitOf(generation))
      const next = nextGeneration(generation)
      Atomics.and(i32, BROKEN_GENERATIONS, ~bitOf(generationOf(next)))
      if (Atomics.compareExchange(i32, STATE, state, next) === state) {
        Atomics.notify(i32, STATE)
        return
      }
    }
  })

export const abort = (self: api.SharedBarrier): Effect.Effect<void> =>
  Effect.sync(() => {
    const i32 = (self as Barrier).i32
    for (;;) {
      const state = Atomics.load(i32, STATE)
      if ((state & BROKEN) !== 0 || tryBreak(i32, state)) return
    }
  })

export const waiting = (self: api.SharedBarrier): Effect.Effect<number> =>
  Effect.sync(() => {
    const state = Atomics.load((self as Barrier).i32, STATE)
    return (state & BROKEN) !== 0 ? 0 : state & COUNT_MASK
  })

export const isBroken = (self: api.SharedBarrier): Effect.Effect<boolean> =>
  Effect.sync(() => (Atomics.load((self as Barrier).i32, STATE) & BROKEN) !== 0)

export const schema: Schema.Schema<api.SharedBarrier, api.SharedBarrier.Encoded> = shared.handleSchema({
  identifier: "SharedBarrier",
  encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf }),
  is: isSharedBarrier,
  toEncoded: (self) => ({ buffer: self.buffer }),
  fromEncoded: ({ buffer }) => fromBuffer(buffer)
})
