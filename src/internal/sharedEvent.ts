import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as api from "../SharedEvent.js"
import * as shared from "./shared.js"

const FLAG = 0
// Bumped by every `set` that sets the flag: a waiter woken by a `set` returns even if a `clear`
// came before it could look at the flag (as multiprocessing's Event.wait returns True).
const SETS = 1
const WORDS = 2

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedEvent") as api.TypeId

interface Event extends api.SharedEvent {
  readonly i32: Int32Array
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Event) {
    return { _id: "SharedEvent", isSet: Atomics.load(this.i32, FLAG) === 1 }
  }
}

export const isSharedEvent: (u: unknown) => u is api.SharedEvent = shared.isRecordWith(TypeId) as any

const fromBuffer = (buffer: SharedArrayBuffer): Event | string => {
  if (buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${buffer.byteLength}`
  const self = Object.create(Proto)
  self.buffer = buffer
  self.i32 = new Int32Array(buffer)
  return self
}

export const unsafeMake = (options?: api.SharedEvent.Options): api.SharedEvent => {
  const buffer = new SharedArrayBuffer(WORDS * 4)
  if (options?.set === true) new Int32Array(buffer)[FLAG] = 1
  return fromBuffer(buffer) as Event
}

export const make = (options?: api.SharedEvent.Options): Effect.Effect<api.SharedEvent> =>
  Effect.sync(() => unsafeMake(options))

export const set = (self: api.SharedEvent): Effect.Effect<void> =>
  Effect.sync(() => {
    const i32 = (self as Event).i32
    if (Atomics.compareExchange(i32, FLAG, 0, 1) === 0) {
      Atomics.add(i32, SETS, 1)
      Atomics.notify(i32, SETS)
    }
  })

export const clear = (self: api.SharedEvent): Effect.Effect<void> =>
  Effect.sync(() => {
    Atomics.store((self as Event).i32, FLAG, 0)
  })

export const isSet = (self: api.SharedEvent): Effect.Effect<boolean> =>
  Effect.sync(() => Atomics.load((self as Event).i32, FLAG) === 1)

export const wait = <E>(
  self: api.SharedEvent,
  timeout: api.SharedEvent.TimeoutOptions["timeout"] | undefined,
  onTimeout: (millis: number) => E
): Effect.Effect<void, E> =>
  shared.withTimeout(timeout, (ms) =>
    Effect.uninterruptibleMask((restore) => {
      const i32 = (self as Event).i32
      let sets: number | undefined
      return Effect.asVoid(shared.blockingLoop(
        (on) => {
          const now = Atomics.load(i32, SETS)
          if (sets === undefined) sets = now
          else if (now !== sets) return true
          if (Atomics.load(i32, FLAG) === 1) return true
          return on.block(i32, SETS, sets)
        },
        restore,
        ms,
        () => Effect.fail(onTimeout(ms!))
      ))
    }))

export const schema: Schema.Schema<api.SharedEvent, api.SharedEvent.Encoded> = shared.handleSchema({
  identifier: "SharedEvent",
  encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf }),
  is: isSharedEvent,
  toEncoded: (self) => ({ buffer: self.buffer }),
  fromEncoded: ({ buffer }) => fromBuffer(buffer)
})
