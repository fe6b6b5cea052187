import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as api from "../Pipe.js"
import * as SharedQueue from "../SharedQueue.js"
import * as shared from "./shared.js"

// The pipe's own memory: one word per end, set once that end is closed.
const LEFT = 0
const RIGHT = 1
const WORDS = 2

export const DEFAULT_CAPACITY = 1024
export const DEFAULT_BYTES = 1 << 20

export const TypeId: api.TypeId = Symbol.for("effect-parallel/Pipe/Connection") as api.TypeId

const variance = { _Send: (_: unknown) => _, _Receive: (_: unknown) => _ }

interface Connection<Send, Receive> extends api.Connection<Send, Receive> {
  readonly i32: Int32Array
  readonly index: number
  readonly outgoing: SharedQueue.SharedQueue<Send>
  readonly incoming: SharedQueue.SharedQueue<Receive>
}

const Proto = {
  ...shared.BaseProto,
  [TypeId]: variance,
  toJSON(this: Connection<unknown, unknown>) {
    return {
      _id: "Pipe.Connection",
      side: this.side,
      closed: Atomics.load(this.i32, this.index) === 1,
      peerClosed: Atomics.load(this.i32, 1 - this.index) === 1
    }
  }
}

export const isConnection: (u: unknown) => u is api.Connection<unknown, unknown> = shared.isRecordWith(TypeId) as any

const fromParts = <Send, Receive>(
  buffer: SharedArrayBuffer,
  side: "left" | "right",
  outgoing: SharedQueue.SharedQueue<Send>,
  incoming: SharedQueue.SharedQueue<Receive>
): Connection<Send, Receive> => {
  const self = Object.create(Proto)
  self.buffer = buffer
  self.side = side
  self.i32 = new Int32Array(buffer)
  self.index = side === "left" ? LEFT : RIGHT
  self.outgoing = outgoing
  self.incoming = incoming
  return self
}

export const unsafeMake = <A, IA, B, IB>(
  left: Schema.Schema<A, IA>,
  right: Schema.Schema<B, IB>,
  options?: api.Pipe.Options
): [api.Connection<A, B>, api.Connection<B, A>] => {
  const queueOptions = { capacity: options?.capacity ?? DEFAULT_CAPACITY, bytes: options?.bytes ?? DEFAULT_BYTES }
  const toRight = SharedQueue.unsafeMake(left, queueOptions)
  const toLeft = SharedQueue.unsafeMake(right, queueOptions)
  const buffer = new SharedArrayBuffer(WORDS * 4)
  return [fromParts(buffer, "left", toRight, toLeft), fromParts(buffer, "right", toLeft, toRight)]
}

export const make = <A, IA, B, IB>(
  left: Schema.Schema<A, IA>,
  right: Schema.Schema<B, IB>,
  options?: api.Pipe.Options
): Effect.Effect<[api.Connection<A, B>, api.Connection<B, A>]> => Effect.sync(() => unsafeMake(left, right, options))

const isClosed = (self: Connection<unknown, unknown>): boolean => Atomics.load(self.i32, self.index) === 1

export const send = <Send, Receive>(
  connection: api.Connection<Send, Receive>,
  value: Send,
  closed: () => api.PipeClosed
): Effect.Effect<void, api.PipeClosed | SharedQueue.MessageTooLarge | SharedQueue.ItemEncodeError> =>
  Effect.suspend(() => {
    const self = connection as Connection<Send, Receive>
    if (isClosed(self as Connection<unknown, unknown>)) return Effect.fail(closed())
    return Effect.catchTag(SharedQueue.offer(self.outgoing, value), "QueueShutdown", () => Effect.fail(closed()))
  })

export const receive = <Send, Receive>(
  connection: api.Connection<Send, Receive>,
  closed: () => api.PipeClosed
): Effect.Effect<Receive, api.PipeClosed> =>
  Effect.suspend(() => {
    const self = connection as Connection<Send, Receive>
    if (isClosed(self as Connection<unknown, unknown>)) return Effect.fail(closed())
    return Effect.catchTag(SharedQueue.take(self.incoming), "QueueShutdown", () => Effect.fail(closed()))
  })

export const close = <Send, Receive>(connection: api.Connection<Send, Receive>): Effect.Effect<void> =>
  // both queues, or the peer could send into one nobody drains any more
  Effect.uninterruptible(Effect.suspend(() => {
    const self = connection as Connection<Send, Receive>
    Atomics.store(self.i32, self.index, 1)
    // The peer's sends fail at once; its receives drain what this end sent, then fail.
    return Effect.zipRight(SharedQueue.shutdown(self.outgoing), SharedQueue.shutdown(self.incoming))
  }))

export const closed = <Send, Receive>(connection: api.Connection<Send, Receive>): Effect.Effect<boolean> =>
  Effect.sync(() => isClosed(connection as Connection<unknown, unknown>))

const schemas = new WeakMap<Schema.Schema.Any, WeakMap<Schema.Schema.Any, Schema.Schema<any, api.Connection.Encoded>>>()

export const schema = <S, IS, R, IR>(
  send: Schema.Schema<S, IS>,
  receive: Schema.Schema<R, IR>
): Schema.Schema<api.Connection<S, R>, api.Connection.Encoded> => {
  let bySend = schemas.get(send)
  if (bySend === undefined) {
    bySend = new WeakMap()
    schemas.set(send, bySend)
  }
  let result = bySend.get(receive)
  if (result === undefined) {
    result = makeSchema(send, receive)
    bySend.set(receive, result)
  }
  return result
}

const QueueEncoded = Schema.Struct({ buffer: shared.SharedArrayBufferFromSelf, lock: shared.SharedArrayBufferFromSelf })

const makeSchema = <S, IS, R, IR>(
  send: Schema.Schema<S, IS>,
  receive: Schema.Schema<R, IR>
): Schema.Schema<api.Connection<S, R>, api.Connection.Encoded> => {
  const outgoing = SharedQueue.schema(send)
  const incoming = SharedQueue.schema(receive)
  const encodeOutgoing = Schema.encodeSync(outgoing)
  const encodeIncoming = Schema.encodeSync(incoming)
  const decodeOutgoing = Schema.decodeEither(outgoing)
  const decodeIncoming = Schema.decodeEither(incoming)
  return shared.handleSchema({
    identifier: `Pipe.Connection<${String(send.ast)}, ${String(receive.ast)}>`,
    encoded: Schema.Struct({
      buffer: shared.SharedArrayBufferFromSelf,
      side: Schema.Literal("left", "right"),
      outgoing: QueueEncoded,
      incoming: QueueEncoded
    }),
    is: (u): u is api.Connection<S, R> =>
      isConnection(u) &&
      Schema.is(outgoing)((u as Connection<unknown, unknown>).outgoing) &&
      Schema.is(incoming)((u as Connection<unknown, unknown>).incoming),
    toEncoded: (self) => {
      const connection = self as Connection<S, R>
      return {
        buffer: connection.buffer,
        side: connection.side,
        outgoing: encodeOutgoing(connection.outgoing),
        incoming: encodeIncoming(connection.incoming)
      }
    },
    fromEncoded: (encoded) => {
      if (encoded.buffer.byteLength !== WORDS * 4) return `expected ${WORDS * 4} bytes, got ${encoded.buffer.byteLength}`
      const out = decodeOutgoing(encoded.outgoing)
      if (Either.isLeft(out)) return `its outgoing queue: ${out.left.message}`
      const into = decodeIncoming(encoded.incoming)
      if (Either.isLeft(into)) return `its incoming queue: ${into.left.message}`
      return fromParts(encoded.buffer, encoded.side, out.right, into.right)
    }
  })
}
