import * as Cause from "effect/Cause"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { DecodeError, EncodeError } from "../Errors.js"
import type * as Task from "../Task.js"
import { checkOf } from "./quickCheck.js"

// main -> worker
export const REQ_RUN = 0
export const REQ_CHUNK = 1
export const REQ_INTERRUPT = 2
/** Starts a channel task: like a run, and it talks to the main side while it runs. */
export const REQ_CHANNEL = 3
/** An input message for a channel task. */
export const REQ_INPUT = 4
/** The main side will send no more input to a channel task. */
export const REQ_END_INPUT = 5
/** The main side can take `n` more output messages of a channel task. */
export const REQ_CREDIT = 6
/** A run carries one encoded task; a chunk carries an array of them, run in order. */
export type Request =
  | readonly [
    typeof REQ_RUN | typeof REQ_CHUNK | typeof REQ_CHANNEL,
    id: number,
    payload: unknown,
    span: SpanContext | undefined,
    /** 1: the task has a timeout, whose timer the main side starts when it learns the task has started. */
    timed?: 1
  ]
  | readonly [typeof REQ_INTERRUPT | typeof REQ_END_INPUT, id: number]
  | readonly [typeof REQ_INPUT | typeof REQ_CREDIT, id: number, value: unknown]
export type SpanContext = readonly [traceId: string, spanId: string, sampled: boolean]

/** Whether a request starts a task (a run, a chunk or a channel), rather than talking to one. */
export const startsTask = (request: Request): boolean =>
  request[0] === REQ_RUN || request[0] === REQ_CHUNK || request[0] === REQ_CHANNEL

// worker -> main
export const MSG_REPLIES = 0
export const MSG_BOOT_FAILED = 1
export const MSG_UNCAUGHT = 2
/** The worker's heap passed its ceiling: replace it once its tasks are done. */
export const MSG_RETIRE = 3
export type Message =
  | readonly [typeof MSG_REPLIES, ReadonlyArray<Reply>]
  | readonly [typeof MSG_BOOT_FAILED | typeof MSG_UNCAUGHT | typeof MSG_RETIRE, reason: string]
/** The final result of a request, or (three elements) an event of a running channel task. */
export type Reply =
  | readonly [id: number, result: WireExit | ChunkExit]
  | readonly [id: number, event: typeof EVENT_OUTPUT | typeof EVENT_CREDIT, value: unknown]
/** An output message of a channel task. */
export const EVENT_OUTPUT = 0
/** The channel task can take `n` more input messages. */
export const EVENT_CREDIT = 1
/** How many messages each side of a channel may have in flight before the sender waits. */
export const CHANNEL_WINDOW = 16

export const EXIT_SUCCESS = 0
export const EXIT_FAILURE = 1
export const EXIT_DIE = 2
export const EXIT_INTERRUPT = 3
export const EXIT_DECODE = 4
export type WireExit =
  | readonly [typeof EXIT_SUCCESS, unknown]
  | readonly [typeof EXIT_FAILURE, unknown]
  | readonly [typeof EXIT_DIE, unknown]
  | readonly [typeof EXIT_INTERRUPT]
  | readonly [typeof EXIT_DECODE, reason: string]
/** The encoded successes of a chunk, in order, and the exit that stopped it early, if any. */
export type ChunkExit = readonly [successes: ReadonlyArray<unknown>, stop: WireExit | undefined]

export interface Codec {
  /** The buffers an encoded payload moves with, as its Schema declares them (`Task.transferable`); none: undefined. */
  readonly transferPayload: ((value: unknown) => ReadonlyArray<unknown>) | undefined
  /** The same for an encoded success. */
  readonly transferSuccess: ((value: unknown) => ReadonlyArray<unknown>) | undefined
  /** Copies the large buffers of an encoded payload to move them to a worker thread (see `Mover`); none if it has none. */
  readonly movePayload: Mover | undefined
  /** The same for an encoded success, sent back from a worker thread. */
  readonly moveSuccess: Mover | undefined
  /** The payload's field names (`_tag` aside) when its fields' encoded form is their type, so a chunk can go as columns. */
  readonly plainFields: ReadonlyArray<string> | undefined
  readonly encode: (task: Task.Any) => Either.Either<unknown, ParseResult.ParseError>
  readonly decode: (u: unknown) => Either.Either<Task.Any, ParseResult.ParseError>
  readonly encodeSuccess: (a: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly decodeSuccess: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly encodeFailure: (e: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly decodeFailure: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
}

const codecs = new WeakMap<object, Codec>()

// ---------------------------------------------------------------------------
// Task.transferable: buffers a Schema declares to move
// ---------------------------------------------------------------------------

/** The annotation of `Task.transferable`: the function that lists the buffers (or ports) a value moves with. */
export const TransferableId: unique symbol = Symbol.for("effect-parallel/Task/transferable")

type ListTransfers = (value: unknown) => Iterable<unknown>

const listOf = (ast: SchemaAST.AST): ListTransfers | undefined =>
  SchemaAST.isTransformation(ast) ? ast.annotations[TransferableId] as ListTransfers | undefined : undefined

/**
 * The Schema without its `Task.transferable` wrappers (where they are looked for: the Schema itself, or its
 * struct's fields): they encode and decode a value as it is (and name its buffers), so the wire takes them for
 * the Schema they wrap and keeps its fast paths.
 */
const withoutTransferables = (ast: SchemaAST.AST): SchemaAST.AST => {
  if (listOf(ast) !== undefined) return withoutTransferables((ast as SchemaAST.Transformation).to)
  if (!SchemaAST.isTypeLiteral(ast) || !ast.propertySignatures.some((property) => listOf(property.type) !== undefined)) {
    return ast
  }
  return new SchemaAST.TypeLiteral(
    ast.propertySignatures.map((property) =>
      listOf(property.type) === undefined ? property : new SchemaAST.PropertySignature(
        property.name,
        withoutTransferables(property.type),
        property.isOptional,
        property.isReadonly,
        property.annotations
      )
    ),
    ast.indexSignatures,
    ast.annotations
  )
}

/**
 * The buffers an encoded value moves with, as its Schema declares them (`Task.transferable` on the Schema itself or
 * on its struct's fields), or undefined if it declares none. The user's function may throw: the callers catch.
 */
const declaredTransfersOf = (ast: SchemaAST.AST): ((value: unknown) => ReadonlyArray<unknown>) | undefined => {
  const list = listOf(ast)
  if (list !== undefined) return (value) => Array.from(list(value))
  if (!SchemaAST.isTypeLiteral(ast)) return undefined
  const fields = ast.propertySignatures.flatMap((property) => {
    const list = listOf(property.type)
    return list === undefined ? [] : [[property.name, list] as const]
  })
  if (fields.length === 0) return undefined
  return (value) => {
    const out: Array<unknown> = []
    for (const [name, list] of fields) {
      const field = (value as Record<PropertyKey, unknown>)[name]
      if (field !== undefined) for (const item of list(field)) out.push(item)
    }
    return out
  }
}

/**
 * The buffers a value declares to move (see `declaredTransfersOf`) added to `transfer` (once each: a transfer list
 * must not name one twice), or the reason the Schema's function threw.
 */
export const withDeclaredTransfers = (
  list: ((value: unknown) => ReadonlyArray<unknown>) | undefined,
  value: unknown,
  transfer: ReadonlyArray<unknown> | undefined
): ReadonlyArray<unknown> | undefined | string => {
  if (list === undefined) return transfer
  let declared: ReadonlyArray<unknown>
  try {
    declared = list(value)
  } catch (error) {
    return `its Task.transferable function threw: ${describeError(error)}`
  }
  // shared memory is shared, not moved (a transfer list cannot name it)
  return addTransfers(transfer, declared.filter((item) => !(item instanceof SharedArrayBuffer)))
}

/** `more` added to a transfer list, once each. */
const addTransfers = (
  transfer: ReadonlyArray<unknown> | undefined,
  more: ReadonlyArray<unknown>
): ReadonlyArray<unknown> | undefined => {
  if (more.length === 0) return transfer
  const out = transfer === undefined ? [] : transfer.slice()
  for (const item of more) if (!out.includes(item)) out.push(item)
  return out
}

/** Whether a value of a codec's success goes back with more than a clone: declared buffers, or large ones copied. */
export const sendsSuccess = (codec: Codec | undefined): boolean =>
  codec !== undefined && (codec.transferSuccess !== undefined || codec.moveSuccess !== undefined)

/**
 * A worker thread's result as it goes back: with the buffers its success Schema declares to move, and copies of
 * its other large buffers (see `MOVE_MIN_BYTES`), added to `transfer` (the handler's `Transferable.addAll`). A
 * chunk's successes each, by the codec of its own task (`codecAt(index)`: a chunk may mix classes). A declaring
 * function that throws fails the task (or stops the chunk there) with a DecodeError for its caller.
 */
export const sendingResult = (
  codecAt: (index: number) => Codec | undefined,
  result: WireExit | ChunkExit,
  transfer: ReadonlyArray<unknown> | undefined
): readonly [WireExit | ChunkExit, ReadonlyArray<unknown> | undefined] => {
  const send = (codec: Codec | undefined, value: unknown): readonly [unknown, ReadonlyArray<unknown> | undefined] | string => {
    if (codec === undefined || !sendsSuccess(codec)) return [value, transfer]
    const declared = withDeclaredTransfers(codec.transferSuccess, value, transfer)
    if (typeof declared === "string") return `the result could not be sent back: ${declared}`
    transfer = declared
    const moved = codec.moveSuccess === undefined ? undefined : moveBuffers(codec.moveSuccess, value, transfer)
    if (moved === undefined) return [value, transfer]
    transfer = addTransfers(transfer, moved[1])
    return [moved[0], transfer]
  }
  if (typeof result[0] === "number") {
    if (result[0] !== EXIT_SUCCESS) return [result, transfer]
    const sent = send(codecAt(0), result[1])
    return typeof sent === "string" ? [[EXIT_DECODE, sent], transfer] : [[EXIT_SUCCESS, sent[0]], transfer]
  }
  const [successes, stop] = result as ChunkExit
  // a new array only once a success changes
  let out: Array<unknown> | undefined
  for (let i = 0; i < successes.length; i++) {
    const sent = send(codecAt(i), successes[i])
    if (typeof sent === "string") return [[(out ?? successes).slice(0, i), [EXIT_DECODE, sent]], transfer]
    if (sent[0] !== successes[i]) out ??= successes.slice(0, i)
    out?.push(sent[0])
  }
  return [out === undefined ? result : [out, stop], transfer]
}

/**
 * A Schema with no transformation anywhere (refinements allowed): its encoded form is the value itself, which
 * needs checking, not rebuilding.
 */
const isIdentity = (schema: Schema.Schema.All): boolean => SchemaAST.typeAST(schema.ast) === schema.ast

/**
 * Whether a Schema declares a type of its own anywhere (`instanceOf`, `DateFromSelf`, `Uint8ArrayFromSelf`...).
 * Structured clone keeps some such values (dates, typed arrays, maps) and not others (an instance of a class of
 * yours arrives as a plain object), so where a plain Schema has one, the receiving side checks the value again:
 * the handler or the caller gets what the Schema says, or a DecodeError.
 */
/** Whether a Schema has a declared type somewhere (which a structured clone or v8 serialisation may not keep). */
export const hasDeclaration = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Declaration":
    case "Suspend":
      return true
    case "Refinement":
      return hasDeclaration(ast.from)
    case "Union":
      return ast.types.some(hasDeclaration)
    case "TupleType":
      return ast.elements.some((element) => hasDeclaration(element.type)) || ast.rest.some((rest) => hasDeclaration(rest.type))
    case "TypeLiteral":
      return ast.propertySignatures.some((property) => hasDeclaration(property.type)) ||
        ast.indexSignatures.some((index) => hasDeclaration(index.type))
    default:
      return false
  }
}

/**
 * A Schema's transformation or filter that throws (instead of failing) makes a ParseError saying so: the task gets
 * its EncodeError or DecodeError, and neither the caller's pool nor the worker stops on it. Every codec function
 * catches (the fast ones in their own body: a shared wrapper would make the call inside it megamorphic, ~10% of 1b).
 */
const threw = (u: unknown, error: unknown): Either.Either<never, ParseResult.ParseError> =>
  Either.left(
    new ParseResult.ParseError({
      // on a Schema of no annotations of its own: a `message` annotation of the user's would replace this message
      // (and could itself throw, given an issue it does not expect)
      issue: new ParseResult.Type(Schema.Unknown.ast, u, `the Schema threw instead of failing: ${describeError(error)}`)
    })
  )

/** Schema's own encoder or decoder (a transformation somewhere: the slow path), total. */
const total = <A>(
  f: (u: unknown) => Either.Either<A, ParseResult.ParseError>
): (u: unknown) => Either.Either<A, ParseResult.ParseError> =>
(u) => {
  try {
    return f(u)
  } catch (error) {
    return threw(u, error)
  }
}

/** The receiving side of a plain Schema: the value as it came, checked again if it has a declared type. */
const receiver = (schema: Schema.Schema<unknown, unknown>): (u: unknown) => Either.Either<unknown, ParseResult.ParseError> =>
  hasDeclaration(schema.ast) ? checker(schema) : Either.right

const checker = (schema: Schema.Schema<unknown, unknown>) => {
  const validate = Schema.validateEither(schema)
  const quick = checkOf(schema.ast)
  // Schema's output, not the value given: a struct's extra keys and getters are gone from it, as after encoding
  return (u: unknown): Either.Either<unknown, ParseResult.ParseError> => {
    try {
      return quick?.(u) === true ? Either.right(u) : validate(u)
    } catch (error) {
      return threw(u, error)
    }
  }
}

/** A Schema as the wire sees it: without its `Task.transferable` wrappers (see `withoutTransferables`). */
const wireSchema = (schema: Schema.Schema<unknown, unknown>): Schema.Schema<unknown, unknown> => {
  const ast = withoutTransferables(schema.ast)
  return ast === schema.ast ? schema : Schema.make(ast)
}

/** A value's encoder: checked as it is for a Schema of no transformation, else Schema's own encoder. */
const encoderOf = (schema: Schema.Schema<unknown, unknown>) => {
  const wire = wireSchema(schema)
  return isIdentity(wire) ? checker(wire) : total(Schema.encodeUnknownEither(schema))
}

/** Its decoder on the receiving side: as it came (checked if needed) for a Schema of no transformation. */
const decoderOf = (schema: Schema.Schema<unknown, unknown>) => {
  const wire = wireSchema(schema)
  return isIdentity(wire) ? receiver(wire) : total(Schema.decodeUnknownEither(schema))
}

export const codecOf = (ctor: Task.AnyClass): Codec => {
  let codec = codecs.get(ctor)
  if (codec === undefined) {
    const self = ctor as unknown as Schema.Schema<Task.Any, unknown>
    const declared = Schema.Struct((ctor as unknown as { fields: Schema.Struct.Fields }).fields) as unknown as Schema.Schema<
      unknown,
      unknown
    >
    const fields = wireSchema(declared)
    const success = ctor.success as Schema.Schema<unknown, unknown>
    const failure = ctor.failure as Schema.Schema<unknown, unknown>
    // Fast paths for the common case of plain fields and results. A task instance of plain fields
    // is sent as it is (cloning keeps its own fields and drops its prototype) and rebuilt in the
    // worker without a second validation; a plain result is checked in the worker and not decoded.
    // (Task.transferable fields are taken for the Schema they wrap: see withoutTransferables)
    const plainPayload = isIdentity(fields)
    const checkPayload = checker(fields)
    // columns give every task every field: not for optional ones, which a task may not have
    const optionalField = !SchemaAST.isTypeLiteral(fields.ast) || fields.ast.propertySignatures.some((p) => p.isOptional)
    // (a constructor of the task's own class may throw)
    const construct = (u: unknown): Either.Either<Task.Any, ParseResult.ParseError> => {
      try {
        return Either.right(new ctor(u, true))
      } catch (error) {
        return threw(u, error)
      }
    }
    codec = {
      plainFields: plainPayload && !optionalField
        ? Object.keys((ctor as unknown as { fields: Schema.Struct.Fields }).fields).filter((name) => name !== "_tag")
        : undefined,
      encode: plainPayload
        ? checkPayload
        : total(Schema.encodeEither(self) as (u: unknown) => Either.Either<unknown, ParseResult.ParseError>),
      decode: plainPayload
        ? (hasDeclaration(fields.ast)
          ? (u) => Either.flatMap(checkPayload(u), () => construct(u))
          : construct)
        : total(Schema.decodeUnknownEither(self)),
      transferPayload: declaredTransfersOf(declared.ast),
      transferSuccess: declaredTransfersOf(success.ast),
      movePayload: moverOf(fields.ast),
      moveSuccess: moverOf(wireSchema(success).ast),
      encodeSuccess: encoderOf(success),
      decodeSuccess: decoderOf(success),
      encodeFailure: total(Schema.encodeUnknownEither(failure)),
      decodeFailure: total(Schema.decodeUnknownEither(failure))
    }
    codecs.set(ctor, codec)
  }
  return codec
}

interface ChannelCodec {
  readonly encodeInput: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly decodeInput: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly encodeOutput: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly decodeOutput: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
}

const channelCodecs = new WeakMap<object, ChannelCodec>()

/** The codecs of a channel task's messages, or undefined for a plain task. */
export const channelCodecOf = (ctor: Task.AnyClass): ChannelCodec | undefined => {
  const schemas = ctor as unknown as { input?: Schema.Schema<unknown, unknown>; output?: Schema.Schema<unknown, unknown> }
  if (schemas.input === undefined || schemas.output === undefined) return undefined
  let codec = channelCodecs.get(ctor)
  if (codec === undefined) {
    const { input, output } = schemas
    codec = {
      encodeInput: encoderOf(input),
      decodeInput: decoderOf(input),
      encodeOutput: encoderOf(output),
      decodeOutput: decoderOf(output)
    }
    channelCodecs.set(ctor, codec)
  }
  return codec
}

/** Whether an ArrayBuffer has been moved away (Node 20 has no `detached`: a view of it cannot be made then). */
const isDetached = (buffer: ArrayBuffer): boolean => {
  if (buffer.byteLength !== 0) return false
  try {
    new Uint8Array(buffer)
    return false
  } catch {
    return true
  }
}

/**
 * A message's transfer list as it can go: each item once (tasks batched in one message may name the same buffer),
 * and no ArrayBuffer that has already been moved away (a task sent again after a crash, or the same task run twice):
 * listed, it would make the message undeliverable on the other side (a `messageerror`, no exception here); left
 * out, the send throws that the buffer is detached, and the task fails with that, typed.
 */
export const sendableTransfers = (transfer: ReadonlyArray<unknown>): ReadonlyArray<unknown> => {
  let out: Array<unknown> | undefined
  for (let i = 0; i < transfer.length; i++) {
    const item = transfer[i]
    const drop = (item instanceof ArrayBuffer && isDetached(item)) || transfer.indexOf(item) < i
    if (drop) out ??= transfer.slice(0, i)
    else out?.push(item)
  }
  return out ?? transfer
}

// ---------------------------------------------------------------------------
// large buffers cross to a thread as a copy that is moved
// ---------------------------------------------------------------------------

/**
 * An ArrayBuffer of at least this many bytes, or a typed array over one, crosses to a worker thread as a
 * copy that is moved (`slice`, then transferred) instead of a structured clone: one copy instead of two (into the
 * message, then out of it in the receiving thread), and one allocation fewer. The caller keeps its buffer, as with a
 * clone. A 1 MiB Float64Array's round trip here: 0.83-0.95 ms cloned both ways, 0.40-0.58 ms copied and moved; 4 MiB:
 * 4.5 against 1.3 ms; the two are even at 64 KiB.
 */
export const MOVE_MIN_BYTES = 128 * 1024

/**
 * Copies the large buffers of an encoded value (the value itself, or its top-level fields, where its Schema declares
 * a type of its own): the value to send instead, and the copies' buffers to transfer with it; undefined if there is
 * nothing to copy. Buffers in `keep` (the caller's own transfer list) are moved as they are.
 */
export type Mover = (
  value: unknown,
  keep: ReadonlyArray<unknown> | undefined
) => readonly [value: unknown, transfer: ReadonlyArray<ArrayBuffer>] | undefined

const typedArrays = new Map<object, new(buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView>(
  [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array
  ].map((ctor) => [ctor.prototype, ctor])
)

/**
 * The copies made for one value: a value met twice gets the same copy, and views of one buffer views of the same
 * copied buffer, as a clone keeps them. Only the places a Mover looks at are copied: a view nested deeper in the
 * value, of a buffer that was copied, is cloned, and no longer shares it.
 */
class Copies {
  readonly values: Array<unknown> = []
  readonly buffers: Array<ArrayBuffer> = []
  readonly transfer: Array<ArrayBuffer> = []
}

/**
 * The buffer to copy for a value: a large plain ArrayBuffer (not shared, not resizable, not a subclass, not in
 * `keep`), or the one under a typed array of a built-in class; else undefined (it is cloned: a Node Buffer, a view of
 * shared memory...).
 */
const bufferToMove = (value: unknown, keep: ReadonlyArray<unknown> | undefined): ArrayBuffer | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== ArrayBuffer.prototype && !typedArrays.has(prototype)) return undefined
  // a plain ArrayBuffer once its prototype is checked below (not a SharedArrayBuffer)
  const buffer = (prototype === ArrayBuffer.prototype ? value : (value as ArrayBufferView).buffer) as ArrayBuffer
  return Object.getPrototypeOf(buffer) !== ArrayBuffer.prototype || buffer.byteLength < MOVE_MIN_BYTES ||
      (buffer as { readonly resizable?: boolean }).resizable === true || keep?.includes(buffer) === true
    ? undefined
    : buffer
}

/** The copy of a value whose buffer is to move (see `bufferToMove`), made once per value and per buffer. */
const copyOf = (value: object, buffer: ArrayBuffer, copies: Copies): unknown => {
  const { buffers, transfer, values } = copies
  for (let i = 0; i < values.length; i += 2) if (values[i] === value) return values[i + 1]
  let copy: ArrayBuffer | undefined
  for (let i = 0; i < buffers.length; i += 2) if (buffers[i] === buffer) copy = buffers[i + 1]!
  if (copy === undefined) {
    copy = buffer.slice(0)
    buffers.push(buffer, copy)
    transfer.push(copy)
  }
  const ctor = typedArrays.get(Object.getPrototypeOf(value))
  // a view of part of its buffer copies the whole of it, as a clone does
  const moved = ctor === undefined
    ? copy
    : new ctor(copy, (value as ArrayBufferView).byteOffset, (value as Float64Array).length)
  values.push(value, moved)
  return moved
}

/** Whether a value of this (encoded) Schema may be a buffer or a typed array: it declares a type of its own. */
const mayBeBuffer = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Declaration":
      return true
    case "Refinement":
      return mayBeBuffer(ast.from)
    case "Union":
      return ast.types.some(mayBeBuffer)
    default:
      return false
  }
}

/** The Mover of a Schema's encoded values, or undefined if no buffer can be where it looks. */
const moverOf = (schema: SchemaAST.AST): Mover | undefined => {
  const ast = SchemaAST.encodedAST(schema)
  if (mayBeBuffer(ast)) {
    return (value, keep) => {
      const buffer = bufferToMove(value, keep)
      if (buffer === undefined) return undefined
      const copies = new Copies()
      return [copyOf(value as object, buffer, copies), copies.transfer]
    }
  }
  if (ast._tag !== "TypeLiteral") return undefined
  const names = ast.propertySignatures.filter((property) => mayBeBuffer(property.type)).map((property) => property.name)
  if (names.length === 0) return undefined
  return (value, keep) => {
    if (typeof value !== "object" || value === null) return undefined
    let copies: Copies | undefined
    let out: Record<PropertyKey, unknown> | undefined
    for (const name of names) {
      const field = (value as Record<PropertyKey, unknown>)[name]
      const buffer = bufferToMove(field, keep)
      if (buffer === undefined) continue
      const moved = copyOf(field as object, buffer, copies ??= new Copies())
      // never the caller's object (a task's encoded payload is often the task itself): a copy of its own fields,
      // which is what a clone would send
      out ??= { ...value }
      out[name] = moved
    }
    return out === undefined ? undefined : [out, copies!.transfer]
  }
}

/**
 * Moves the large buffers of a value (see `Mover`), or leaves it as it is if moving throws (a getter of its own, say:
 * the clone then meets the same throw and the task fails with it).
 */
export const moveBuffers = (
  move: Mover,
  value: unknown,
  keep: ReadonlyArray<unknown> | undefined
): readonly [value: unknown, transfer: ReadonlyArray<ArrayBuffer>] | undefined => {
  try {
    return move(value, keep)
  } catch {
    return undefined
  }
}

export const classOf = (task: Task.Any): Task.AnyClass => task.constructor as unknown as Task.AnyClass

/** An error thrown by a clone or a send (a DataCloneError, say), as its name and message. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error)

export const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.TreeFormatter.formatErrorSync(error)

/** The codec of a task value's class, or undefined for anything else (a plain object with a `_tag`, say). */
const codecOfTask = (u: unknown): Codec | undefined => {
  if (u === null || typeof u !== "object" || typeof (u as { readonly _tag?: unknown })._tag !== "string") return undefined
  const ctor: unknown = u.constructor
  if (typeof ctor !== "function") return undefined
  const known = codecs.get(ctor)
  if (known !== undefined) return known
  const { failure, fields, success } = ctor as { readonly fields?: unknown; readonly success?: unknown; readonly failure?: unknown }
  return typeof fields === "object" && fields !== null && Schema.isSchema(success) && Schema.isSchema(failure)
    ? codecOf(ctor as unknown as Task.AnyClass)
    : undefined
}

/** Encodes a task on the main side; a Schema failure is an `EncodeError` for this caller only. */
export const encodeTask = (task: Task.Any): Either.Either<unknown, EncodeError> => {
  const codec = codecOfTask(task)
  if (codec === undefined) {
    const name = typeof task?._tag === "string" ? task._tag : "<unknown>"
    return Either.left(new EncodeError({ task: name, reason: "not a task value (define it with Task.Class)" }))
  }
  const encoded = codec.encode(task)
  return Either.isRight(encoded)
    ? encoded as Either.Either<unknown, never>
    : Either.left(new EncodeError({ task: task._tag, reason: formatParseError(encoded.left) }))
}

/**
 * A chunk of tasks of one class whose payload is plain (its fields' encoded form is their type), sent as one array
 * per field instead of one object per task: arrays of numbers or strings clone some twenty times faster than as
 * many objects (1,024 `{ _tag, x }` here: 130-155 µs to serialize and 330 µs to deserialize; as columns, 9 and
 * 14-20 µs). Other chunks are an array of encoded tasks.
 */
export type Columns = readonly [tag: string, length: number, fields: ReadonlyArray<string>, columns: ReadonlyArray<ReadonlyArray<unknown>>]

export type ChunkPayload = ReadonlyArray<unknown> | { readonly columns: Columns }

const isColumns = (payload: ChunkPayload): payload is { readonly columns: Columns } => !Array.isArray(payload)

/** An encoded chunk, and the buffers its tasks' Schemas declare to move (`Task.transferable`), if any. */
export interface EncodedChunk {
  readonly payload: ChunkPayload
  readonly transfer: ReadonlyArray<unknown> | undefined
}

/** Encodes the tasks of a chunk on the main side: as columns when they allow it, else one by one. */
export const encodeChunk = (tasks: ReadonlyArray<Task.Any>): Either.Either<EncodedChunk, EncodeError> => {
  const first = tasks[0]
  const codec = codecOfTask(first)
  const fields = codec?.plainFields
  const ctor = first?.constructor
  let transfer: ReadonlyArray<unknown> | undefined
  // the buffers an encoded task declares to move, added to the chunk's; an EncodeError if its function threw
  const declare = (codec: Codec, task: Task.Any, encoded: unknown): EncodeError | undefined => {
    const declared = withDeclaredTransfers(codec.transferPayload, encoded, transfer)
    if (typeof declared === "string") return new EncodeError({ task: task._tag, reason: declared })
    transfer = declared
    return undefined
  }
  if (fields !== undefined && tasks.every((task) => task !== null && typeof task === "object" && task.constructor === ctor)) {
    const encode = codec!.encode
    const declares = codec!.transferPayload !== undefined
    const columns = fields.map(() => new Array<unknown>(tasks.length))
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!
      const checked = encode(task)
      if (Either.isLeft(checked)) {
        return Either.left(new EncodeError({ task: task._tag, reason: formatParseError(checked.left) }))
      }
      const value = checked.right as Record<string, unknown>
      for (let k = 0; k < fields.length; k++) columns[k]![i] = value[fields[k]!]
      const failed = declares ? declare(codec!, task, value) : undefined
      if (failed !== undefined) return Either.left(failed)
    }
    return Either.right({ payload: { columns: [first!._tag, tasks.length, fields, columns] }, transfer })
  }
  const payload: Array<unknown> = new Array(tasks.length)
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!
    const encoded = encodeTask(task)
    if (Either.isLeft(encoded)) return Either.left(encoded.left)
    payload[i] = encoded.right
    const failed = declare(codecOf(classOf(task)), task, encoded.right)
    if (failed !== undefined) return Either.left(failed)
  }
  return Either.right({ payload, transfer })
}

/** A chunk's length, and a reader of its encoded tasks (from columns: a fresh object of its tag and fields). */
export const readChunk = (payload: ChunkPayload): readonly [length: number, item: (index: number) => unknown] => {
  if (!isColumns(payload)) return [payload.length, (index) => payload[index]]
  const [tag, length, fields, columns] = payload.columns
  return [length, (index) => {
    const item: Record<string, unknown> = { _tag: tag }
    for (let k = 0; k < fields.length; k++) item[fields[k]!] = columns[k]![index]
    return item
  }]
}

/** The tag of an encoded task, if it has one. */
export const encodedTag = (encoded: unknown): unknown =>
  typeof encoded === "object" && encoded !== null ? (encoded as { readonly _tag?: unknown })._tag : undefined

/** The tag of each task of a chunk, by index (all the same for columns: one class). */
export const chunkTagAt = (payload: ChunkPayload): (index: number) => unknown => {
  if (isColumns(payload)) {
    const tag = payload.columns[0]
    return () => tag
  }
  return (index) => encodedTag(payload[index])
}

/** The tag of a chunk's first task. */
export const chunkTag = (payload: ChunkPayload): unknown =>
  isColumns(payload) ? payload.columns[0] : encodedTag(payload[0])

// ---------------------------------------------------------------------------
// defects keep the remote name, message and stack
// ---------------------------------------------------------------------------

interface WireError {
  readonly __effectParallelError: true
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
}

const isWireError = (u: unknown): u is WireError =>
  typeof u === "object" && u !== null && (u as WireError).__effectParallelError === true

export const encodeDefect = (defect: unknown): unknown => {
  if (defect instanceof Error) {
    return { __effectParallelError: true, name: defect.name, message: defect.message, stack: defect.stack }
  }
  if (defect === null || typeof defect !== "object" && typeof defect !== "function" && typeof defect !== "symbol") {
    return defect
  }
  try {
    return structuredClone(defect)
  } catch {
    return String(defect)
  }
}

export const decodeDefect = (u: unknown): unknown => {
  if (!isWireError(u)) return u
  const error = new Error(u.message)
  error.name = u.name
  if (u.stack !== undefined) error.stack = u.stack
  return error
}

// ---------------------------------------------------------------------------
// exits
// ---------------------------------------------------------------------------

/** Worker side: encodes the exit of a handler with the task's Schemas. */
export const encodeExit = (ctor: Task.AnyClass, exit: Exit.Exit<unknown, unknown>): WireExit => {
  if (Exit.isSuccess(exit)) {
    const encoded = codecOf(ctor).encodeSuccess(exit.value)
    return Either.isRight(encoded)
      ? [EXIT_SUCCESS, encoded.right]
      : [EXIT_DECODE, `the result failed its success Schema: ${formatParseError(encoded.left)}`]
  }
  return encodeCause(ctor, exit.cause)
}

export const encodeCause = (ctor: Task.AnyClass, cause: Cause.Cause<unknown>): WireExit => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const encoded = codecOf(ctor).encodeFailure(failure.value)
    return Either.isRight(encoded)
      ? [EXIT_FAILURE, encoded.right]
      : [EXIT_DECODE, `the failure failed its failure Schema: ${formatParseError(encoded.left)}`]
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return [EXIT_DIE, encodeDefect(defect.value)]
  return [EXIT_INTERRUPT]
}

/** Main side: decodes a worker's reply into the task's typed exit. */
export const decodeExit = (task: Task.Any, wire: WireExit): Exit.Exit<unknown, unknown> => {
  switch (wire[0]) {
    case EXIT_SUCCESS: {
      const decoded = codecOf(classOf(task)).decodeSuccess(wire[1])
      return Either.isRight(decoded) ? Exit.succeed(decoded.right) : Exit.fail(decodeError(task, decoded.left))
    }
    case EXIT_FAILURE: {
      const decoded = codecOf(classOf(task)).decodeFailure(wire[1])
      return Either.isRight(decoded) ? Exit.fail(decoded.right) : Exit.fail(decodeError(task, decoded.left))
    }
    case EXIT_DIE:
      return Exit.die(decodeDefect(wire[1]))
    case EXIT_INTERRUPT:
      return Exit.interrupt(FiberId.none)
    case EXIT_DECODE:
      return Exit.fail(new DecodeError({ task: task._tag, reason: wire[1] }))
  }
}

const decodeError = (task: Task.Any, error: ParseResult.ParseError) =>
  new DecodeError({ task: task._tag, reason: formatParseError(error) })
