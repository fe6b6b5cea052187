import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as v8 from "node:v8"
import type { SharedLock } from "../SharedLock.js"
import type * as api from "../SharedQueue.js"
import { NOW, locked, run } from "./lockedLoop.js"
import * as shared from "./shared.js"
import { describeError, hasDeclaration } from "./wire.js"
import * as mutex from "./sharedLock.js"

// The header: Int32 words at the start of the buffer. HEAD, TAIL and USED are only touched with the
// queue's SharedLock held; the others are read without it, through Atomics.
const HEAD = 0 // byte offset in the ring of the oldest message
const TAIL = 1 // byte offset in the ring where the next message goes
const USED = 2 // bytes of the ring in use, framing included
const COUNT = 3 // items in the queue
const SHUTDOWN = 4 // 1 once shut down
const PUT_SEQ = 5 // bumped by every offer and by shutdown: takers wait on it
const TAKE_SEQ = 6 // bumped by every take and by shutdown: offerers wait on it
const TAKERS = 7 // takers waiting
const OFFERERS = 8 // offerers waiting
const UNFINISHED = 9 // items offered and not yet marked done
const JOIN_SEQ = 10 // bumped when UNFINISHED drops to 0 and by shutdown: joiners wait on it
const JOINERS = 11 // joiners waiting
const CAPACITY = 12
const RING_BYTES = 13
const SCHEMA_HASH = 14
const WORDS = 16
const HEADER_BYTES = WORDS * 4

export const MAX_CAPACITY = 0x7fffffff
export const MAX_BYTES = 0x40000000
export const DEFAULT_BYTES = 1 << 20

/** The bytes a message of `length` takes in the ring: a 4-byte length, then the message padded to 4. */
const frame = (length: number): number => 4 + ((length + 3) & ~3)

export const TypeId: api.TypeId = Symbol.for("effect-parallel/SharedQueue") as api.TypeId

/** The typed errors, made by the public module. */
export interface Errors {
  readonly full: (millis: number | undefined) => api.QueueFull
  readonly empty: (millis: number | undefined) => api.QueueEmpty
  readonly shutdown: () => api.QueueShutdown
  readonly tooLarge: (bytes: number, limit: number) => api.MessageTooLarge
  readonly encode: (reason: string) => api.ItemEncodeError
}

interface Queue<A> extends api.SharedQueue<A> {
  readonly i32: Int32Array
  readonly ring: Uint8Array
  /** The ring's memory as Int32 words, for the length of each message (always 4-byte aligned). */
  readonly lengths: Int32Array
  readonly lock: SharedLock
  readonly encode: (a: A) => Either.Either<Uint8Array, string>
  readonly decode: (bytes: Uint8Array) => Either.Either<A, string>
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: TypeId,
  toJSON(this: Queue<unknown>) {
    return {
      _id: "SharedQueue",
      size: Atomics.load(this.i32, COUNT),
      capacity: this.capacity,
      bytes: this.bytes,
      unfinished: Atomics.load(this.i32, UNFINISHED),
      shutdown: Atomics.load(this.i32, SHUTDOWN) === 1
    }
  }
}

export const isSharedQueue: (u: unknown) => u is api.SharedQueue<unknown> = shared.isRecordWith(TypeId) as any

/** A 32-bit FNV-1a hash of the item Schema's description, to catch a handle decoded with another Schema. */
const hashes = new WeakMap<Schema.Schema.Any, number>()

const schemaHash = (schema: Schema.Schema.Any): number => {
  let hash = hashes.get(schema)
  if (hash === undefined) {
    hash = fnv1a(String(schema.ast))
    hashes.set(schema, hash)
  }
  return hash
}

const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash | 0
}

const codec = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encodeEither(schema)
  const decode = Schema.decodeUnknownEither(schema)
  // An encoded form with a declared type (OptionFromSelf, instanceOf...) may not survive v8 serialisation: such an
  // item is decoded back when it is offered, so that it fails there, typed, instead of being lost when taken.
  const roundTrip = hasDeclaration(Schema.encodedSchema(schema).ast)
  return {
    encode: (a: A): Either.Either<Uint8Array, string> => {
      const encoded = encode(a)
      if (Either.isLeft(encoded)) return Either.left(ParseResult.TreeFormatter.formatErrorSync(encoded.left))
      let bytes: Uint8Array
      try {
        bytes = v8.serialize(encoded.right)
      } catch (error) {
        return Either.left(describeError(error))
      }
      if (roundTrip) {
        const back = decode(v8.deserialize(bytes))
        if (Either.isLeft(back)) {
          return Either.left(`it does not survive serialisation: ${ParseResult.TreeFormatter.formatErrorSync(back.left)}`)
        }
      }
      return Either.right(bytes)
    },
    decode: (bytes: Uint8Array): Either.Either<A, string> => {
      let value: unknown
      try {
        value = v8.deserialize(bytes)
      } catch (error) {
        return Either.left(String(error))
      }
      return Either.mapLeft(decode(value), (error) => ParseResult.TreeFormatter.formatErrorSync(error))
    }
  }
}

const fromMemory = <A, I>(
  schema: Schema.Schema<A, I>,
  buffer: SharedArrayBuffer,
  lock: SharedLock
): Queue<A> | string => {
  if (buffer.byteLength < HEADER_BYTES + 8) return `expected at least ${HEADER_BYTES + 8} bytes, got ${buffer.byteLength}`
  const i32 = new Int32Array(buffer, 0, WORDS)
  const capacity = Atomics.load(i32, CAPACITY)
  const bytes = Atomics.load(i32, RING_BYTES)
  if (capacity < 1 || bytes < 8 || bytes % 4 !== 0 || HEADER_BYTES + bytes !== buffer.byteLength) {
    return "not the memory of a SharedQueue"
  }
  if (Atomics.load(i32, SCHEMA_HASH) !== schemaHash(schema)) {
    return `the queue was made for items of another Schema than ${String(schema.ast)}`
  }
  const self = Object.create(Proto)
  const { decode, encode } = codec(schema)
  self.schema = schema
  self.buffer = buffer
  self.capacity = capacity
  self.bytes = bytes
  self.i32 = i32
  self.ring = new Uint8Array(buffer, HEADER_BYTES, bytes)
  self.lengths = new Int32Array(buffer, HEADER_BYTES, bytes / 4)
  self.lock = lock
  self.encode = encode
  self.decode = decode
  return self
}

export const unsafeMake = <A, I>(schema: Schema.Schema<A, I>, options: api.SharedQueue.Options): api.SharedQueue<A> => {
  const { capacity } = options
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new RangeError(`SharedQueue.make: capacity must be an integer from 1 to 2^31 - 1, got ${capacity}`)
  }
  const requested = options.bytes ?? DEFAULT_BYTES
  if (!Number.isSafeInteger(requested) || requested < 8 || requested > MAX_BYTES) {
    throw new RangeError(`SharedQueue.make: bytes must be an integer from 8 to 2^30, got ${requested}`)
  }
  const bytes = (requested + 3) & ~3
  const buffer = new SharedArrayBuffer(HEADER_BYTES + bytes)
  const i32 = new Int32Array(buffer, 0, WORDS)
  i32[CAPACITY] = capacity
  i32[RING_BYTES] = bytes
  i32[SCHEMA_HASH] = schemaHash(schema)
  return fromMemory(schema, buffer, mutex.unsafeMake()) as Queue<A>
}

export const make = <A, I>(
  schema: Schema.Schema<A, I>,
  options: api.SharedQueue.Options
): Effect.Effect<api.SharedQueue<A>> => Effect.sync(() => unsafeMake(schema, options))

// -----------------------------------------------------------------------------
// the ring, with the lock held
// -----------------------------------------------------------------------------

const CLOSED: unique symbol = Symbol.for("effect-parallel/SharedQueue/Closed")
type Closed = typeof CLOSED

const write = (self: Queue<unknown>, message: Uint8Array, at: number): number => {
  const { bytes, lengths, ring } = self
  lengths[at >> 2] = message.length
  const start = at + 4 === bytes ? 0 : at + 4
  const first = Math.min(message.length, bytes - start)
  ring.set(first === message.length ? message : message.subarray(0, first), start)
  if (first < message.length) ring.set(message.subarray(first), 0)
  return (at + frame(message.length)) % bytes
}

const read = (self: Queue<unknown>, at: number): readonly [Uint8Array, number] => {
  const { bytes, lengths, ring } = self
  const length = lengths[at >> 2]!
  const start = at + 4 === bytes ? 0 : at + 4
  const first = Math.min(length, bytes - start)
  // a copy: the ring's memory is reused once the lock is released
  const message = Buffer.allocUnsafe(length)
  message.set(ring.subarray(start, start + first), 0)
  if (first < length) message.set(ring.subarray(0, length - first), first)
  return [message, (at + frame(length)) % bytes]
}

const putAttempt = (self: Queue<unknown>, messages: ReadonlyArray<Uint8Array>, framed: number) =>
(on: shared.WaitOn): true | Closed | typeof shared.Blocked => {
  const i32 = self.i32
  if (Atomics.load(i32, SHUTDOWN) === 1) return CLOSED
  const count = Atomics.load(i32, COUNT)
  if (count + messages.length > self.capacity || i32[USED]! + framed > self.bytes) {
    // Read under the lock: a take changes it before it unlocks, so a wait on it cannot miss one.
    return on.block(i32, TAKE_SEQ, Atomics.load(i32, TAKE_SEQ), OFFERERS)
  }
  let tail = i32[TAIL]!
  for (const message of messages) tail = write(self, message, tail)
  i32[TAIL] = tail
  i32[USED] = i32[USED]! + framed
  Atomics.add(i32, UNFINISHED, messages.length)
  Atomics.store(i32, COUNT, count + messages.length)
  Atomics.add(i32, PUT_SEQ, 1)
  return true
}

const takeAttempt = (self: Queue<unknown>, min: number, max: number) =>
(on: shared.WaitOn): Array<Uint8Array> | Closed | typeof shared.Blocked => {
  const i32 = self.i32
  const count = Atomics.load(i32, COUNT)
  const closed = Atomics.load(i32, SHUTDOWN) === 1
  if (count === 0 && closed) return CLOSED
  if (count < min && !closed) return on.block(i32, PUT_SEQ, Atomics.load(i32, PUT_SEQ), TAKERS)
  const n = Math.min(count, max)
  const messages: Array<Uint8Array> = new Array(n)
  let head = i32[HEAD]!
  let freed = 0
  for (let i = 0; i < n; i++) {
    const [message, next] = read(self, head)
    messages[i] = message
    freed += frame(message.length)
    head = next
  }
  if (n > 0) {
    i32[HEAD] = head
    i32[USED] = i32[USED]! - freed
    Atomics.store(i32, COUNT, count - n)
    Atomics.add(i32, TAKE_SEQ, 1)
  }
  return messages
}

const wake = (i32: Int32Array, word: number, waiters: number): void => {
  // Waiters need different amounts (items, bytes): wake them all, each re-checks.
  if (Atomics.load(i32, waiters) > 0) Atomics.notify(i32, word)
}

// -----------------------------------------------------------------------------
// operations
// -----------------------------------------------------------------------------

const timeoutOf = (timeout: api.SharedQueue.TimeoutOptions["timeout"] | undefined | "now"): number | undefined =>
  timeout === "now" ? NOW : shared.toMillis(timeout)

export const offerAll = <A>(
  queue: api.SharedQueue<A>,
  items: Iterable<A>,
  timeout: api.SharedQueue.TimeoutOptions["timeout"] | undefined | "now",
  errors: Errors
): Effect.Effect<void, api.QueueShutdown | api.QueueFull | api.MessageTooLarge | api.ItemEncodeError> =>
  Effect.suspend((): Effect.Effect<void, api.QueueShutdown | api.QueueFull | api.MessageTooLarge | api.ItemEncodeError> => {
    const self = queue as Queue<A>
    const timeoutMs = timeoutOf(timeout)
    const messages: Array<Uint8Array> = []
    let framed = 0
    for (const item of items) {
      const encoded = self.encode(item)
      if (Either.isLeft(encoded)) return Effect.fail(errors.encode(encoded.left))
      messages.push(encoded.right)
      framed += frame(encoded.right.length)
    }
    if (messages.length > self.capacity) {
      return shared.die(
        `SharedQueue.offerAll: ${messages.length} items can never fit a queue of capacity ${self.capacity}`
      )
    }
    if (framed > self.bytes) return Effect.fail(errors.tooLarge(framed, self.bytes))
    if (messages.length === 0) {
      return Atomics.load(self.i32, SHUTDOWN) === 1 ? Effect.fail(errors.shutdown()) : Effect.void
    }
    return run(
      self.lock,
      putAttempt(self as Queue<unknown>, messages, framed),
      timeoutMs,
      errors.full,
      (result) => {
        if (result === CLOSED) return Effect.fail(errors.shutdown())
        wake(self.i32, PUT_SEQ, TAKERS)
        return Effect.void
      }
    )
  })

const takeWith = <A, B>(
  queue: api.SharedQueue<A>,
  min: number,
  max: number,
  timeout: api.SharedQueue.TimeoutOptions["timeout"] | undefined | "now",
  errors: Errors,
  f: (items: Array<A>) => B
): Effect.Effect<B, api.QueueShutdown | api.QueueEmpty> =>
  Effect.suspend((): Effect.Effect<B, api.QueueShutdown | api.QueueEmpty> => {
    const self = queue as Queue<A>
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < Math.max(min, 1)) {
      return shared.die(`SharedQueue.takeBetween: expected integers 0 <= min <= max, max >= 1, got ${min}, ${max}`)
    }
    if (min > self.capacity) {
      return shared.die(`SharedQueue.takeBetween: ${min} items can never be in a queue of capacity ${self.capacity}`)
    }
    return run(
      self.lock,
      takeAttempt(self as Queue<unknown>, min, max),
      timeoutOf(timeout),
      errors.empty,
      (result) => {
        if (result === CLOSED) return Effect.fail(errors.shutdown())
        if (result.length > 0) wake(self.i32, TAKE_SEQ, OFFERERS)
        const items: Array<A> = new Array(result.length)
        for (let i = 0; i < result.length; i++) {
          const decoded = self.decode(result[i]!)
          if (Either.isLeft(decoded)) {
            return shared.die(`SharedQueue: an item does not decode with this handle's Schema: ${decoded.left}`)
          }
          items[i] = decoded.right
        }
        return Effect.succeed(f(items))
      }
    )
  })

export const takeBetween = <A>(
  queue: api.SharedQueue<A>,
  min: number,
  max: number,
  timeout: api.SharedQueue.TimeoutOptions["timeout"] | undefined | "now",
  errors: Errors
): Effect.Effect<Array<A>, api.QueueShutdown | api.QueueEmpty> =>
  takeWith(queue, min, max, timeout, errors, (items) => items)

export const take = <A>(
  queue: api.SharedQueue<A>,
  timeout: api.SharedQueue.TimeoutOptions["timeout"] | undefined | "now",
  errors: Errors
): Effect.Effect<A, api.QueueShutdown | api.QueueEmpty> =>
  takeWith(queue, 1, 1, timeout, errors, (items) => items[0]!)

export const size = <A>(self: api.SharedQueue<A>): Effect.Effect<number> =>
  Effect.sync(() => Atomics.load((self as Queue<unknown>).i32, COUNT))

export const unfinished = <A>(self: api.SharedQueue<A>): Effect.Effect<number> =>
  Effect.sync(() => Atomics.load((self as Queue<unknown>).i32, UNFINISHED))

export const isShutdown = <A>(self: api.SharedQueue<A>): Effect.Effect<boolean> =>
  Effect.sync(() => Atomics.load((self as Queue<unknown>).i32, SHUTDOWN) === 1)

export const shutdown = <A>(queue: api.SharedQueue<A>): Effect.Effect<void> =>
  Effect.uninterruptible(Effect.suspend(() => {
    const self = queue as Queue<unknown>
    const i32 = self.i32
    return Effect.map(
      locked(self.lock, (effect) => effect, () => {
        if (Atomics.load(i32, SHUTDOWN) === 1) return false
        // Under the lock: no offer completes after this, and waiters see the bumped sequences.
        Atomics.store(i32, SHUTDOWN, 1)
        Atomics.add(i32, PUT_SEQ, 1)
        Atomics.add(i32, TAKE_SEQ, 1)
        Atomics.add(i32, JOIN_SEQ, 1)
        return true
      }),
      (changed) => {
        if (!changed) return
        Atomics.notify(i32, PUT_SEQ)
        Atomics.notify(i32, TAKE_SEQ)
        Atomics.notify(i32, JOIN_SEQ)
      }
    )
  }))

export const taskDone = <A>(queue: api.SharedQueue<A>, n: number): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!Number.isSafeInteger(n) || n < 1) return shared.die(`SharedQueue.taskDone: expected a count >= 1, got ${n}`)
    const i32 = (queue as Queue<unknown>).i32
    for (;;) {
      const current = Atomics.load(i32, UNFINISHED)
      if (current < n) {
        return shared.die(
          `SharedQueue.taskDone: called for ${n} item(s) while only ${current} offered item(s) are not done`
        )
      }
      if (Atomics.compareExchange(i32, UNFINISHED, current, current - n) === current) {
        if (current === n) {
          Atomics.add(i32, JOIN_SEQ, 1)
          Atomics.notify(i32, JOIN_SEQ)
        }
        return Effect.void
      }
    }
  })

export const join = <A>(queue: api.SharedQueue<A>, errors: Errors): Effect.Effect<void, api.QueueShutdown> =>
  Effect.uninterruptibleMask((restore) => {
    const i32 = (queue as Queue<unknown>).i32
    return Effect.flatMap(
      shared.blockingLoop<boolean, never>(
        (on) => {
          // The sequence first: a change after the checks bumps it, and the wait returns at once.
          const seq = Atomics.load(i32, JOIN_SEQ)
          if (Atomics.load(i32, UNFINISHED) === 0) return true
          if (Atomics.load(i32, SHUTDOWN) === 1) return false
          return on.block(i32, JOIN_SEQ, seq, JOINERS)
        },
        restore,
        undefined,
        () => Effect.never
      ),
      (done) => done ? Effect.void : Effect.fail(errors.shutdown())
    )
  })

// -----------------------------------------------------------------------------
// Schema
// -----------------------------------------------------------------------------

const schemas = new WeakMap<Schema.Schema.Any, Schema.Schema<any, api.SharedQueue.Encoded>>()

export const schema = <A, I>(item: Schema.Schema<A, I>): Schema.Schema<api.SharedQueue<A>, api.SharedQueue.Encoded> => {
  let result = schemas.get(item)
  if (result === undefined) {
    result = shared.handleSchema({
      identifier: `SharedQueue<${String(item.ast)}>`,
      encoded: Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf, lock: shared.SharedArrayBufferFromSelf }),
      is: (u): u is api.SharedQueue<A> => isSharedQueue(u) && schemaHash(u.schema) === schemaHash(item),
      toEncoded: (self) => ({ buffer: self.buffer, lock: (self as Queue<A>).lock.buffer }),
      fromEncoded: ({ buffer, lock }) => {
        const decodedLock = Schema.decodeEither(mutex.schema)({ buffer: lock })
        if (Either.isLeft(decodedLock)) return "its lock is not a SharedLock"
        return fromMemory(item, buffer, decodedLock.right)
      }
    })
    schemas.set(item, result)
  }
  return result
}
