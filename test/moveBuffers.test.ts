import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Wire from "../src/internal/wire.js"
import { Task } from "../src/index.js"
import { Buffers, Held, MovingEcho, Square } from "./fixtures/tasks.js"

// The pools' end-to-end behaviour is in the shared suite (suites/workerPool.ts, "transfers"); this checks which
// buffers the wire copies and moves to a thread, which a clone would hide from those tests.

const LARGE = Wire.MOVE_MIN_BYTES

const movePayload = (task: Task.Any, keep?: ReadonlyArray<unknown>) =>
  Wire.moveBuffers(Wire.codecOf(Wire.classOf(task)).movePayload!, task, keep)

describe("large buffers to a thread", () => {
  it("are copied once and moved: the copies go in the transfer list, the caller's stay", () => {
    const raw = new ArrayBuffer(LARGE)
    const a = new Float64Array(raw)
    const part = new Float64Array(raw, 8, 4)
    const task = new Buffers({ a, b: a, raw, part })
    const [payload, transfer] = movePayload(task)!
    const sent = payload as { a: Float64Array; b: Float64Array; raw: ArrayBuffer; part: Float64Array; _tag: string }
    // one copy of the one buffer, shared as before
    assert.strictEqual(transfer.length, 1)
    assert.strictEqual(sent.raw, transfer[0])
    assert.strictEqual(sent.a.buffer, transfer[0])
    assert.strictEqual(sent.b, sent.a)
    assert.deepStrictEqual([sent.part.buffer === transfer[0], sent.part.byteOffset, sent.part.length], [true, 8, 4])
    assert.strictEqual(sent._tag, "Buffers")
    // the task itself is untouched
    assert.strictEqual(task.a, a)
    assert.strictEqual(task.raw, raw)
  })

  it("leaves small, shared, resizable and listed buffers, and Node Buffers, to the clone (or the caller's transfer)", () => {
    const small = new Float64Array(LARGE / 8 - 1)
    assert.isUndefined(movePayload(new Buffers({ a: small, b: small, raw: small.buffer, part: small })))
    const shared = new Float64Array(new SharedArrayBuffer(LARGE)) as unknown as Float64Array<ArrayBuffer>
    const resizable = new (ArrayBuffer as unknown as new(n: number, o: { maxByteLength: number }) => ArrayBuffer)(LARGE, {
      maxByteLength: 2 * LARGE
    })
    const listed = new Float64Array(LARGE / 8)
    const moved = movePayload(new Buffers({ a: shared, b: shared, raw: resizable, part: listed }), [listed.buffer])
    assert.isUndefined(moved)
    class Bytes extends Task.Class<Bytes>()("Bytes", {
      payload: { data: Schema.Uint8ArrayFromSelf },
      success: Schema.Number,
      failure: Schema.Never
    }) {}
    assert.isUndefined(movePayload(new Bytes({ data: Buffer.alloc(LARGE) })))
    assert.isDefined(movePayload(new Bytes({ data: new Uint8Array(LARGE) })))
  })

  it("a result that is itself a large typed array is moved as a copy; plain tasks have no mover", () => {
    const result = new Float64Array(LARGE / 8)
    const [sent, transfer] = Wire.moveBuffers(Wire.codecOf(Held).moveSuccess!, result, undefined)!
    assert.notStrictEqual(sent, result)
    assert.strictEqual((sent as Float64Array).buffer, transfer[0])
    assert.strictEqual(result.byteLength, LARGE)
    assert.isUndefined(Wire.codecOf(Square).movePayload)
    assert.isUndefined(Wire.codecOf(Square).moveSuccess)
  })
})

describe("Task.transferable", () => {
  it("is taken for the Schema it wraps (fast paths kept), lists its buffers, and leaves shared memory out", () => {
    const codec = Wire.codecOf(MovingEcho)
    // plain fields: a chunk goes as columns, a task is checked and not rebuilt
    assert.deepStrictEqual(codec.plainFields, ["data"])
    const data = new Uint8Array(8)
    const task = new MovingEcho({ data })
    // checked, not encoded: the task itself goes
    const encoded = Wire.encodeTask(task)
    assert.isTrue(Either.isRight(encoded) && encoded.right === task)
    // (the very buffers, not equal ones)
    const listed = Wire.withDeclaredTransfers(codec.transferPayload, task, undefined) as ReadonlyArray<unknown>
    assert.deepStrictEqual([listed.length, listed[0] === data.buffer], [1, true])
    const once = Wire.withDeclaredTransfers(codec.transferSuccess, data, [data.buffer]) as ReadonlyArray<unknown>
    assert.deepStrictEqual([once.length, once[0] === data.buffer], [1, true])
    // a transfer list as it can go: each item once, and no buffer moved away already
    const moved = new ArrayBuffer(8)
    structuredClone(moved, { transfer: [moved] })
    const empty = new ArrayBuffer(0)
    const sendable = Wire.sendableTransfers([data.buffer, moved, empty, data.buffer])
    assert.deepStrictEqual([sendable.length, sendable[0] === data.buffer, sendable[1] === empty], [2, true, true])
    const shared = new Uint8Array(new SharedArrayBuffer(8))
    assert.isUndefined(Wire.withDeclaredTransfers(codec.transferSuccess, shared, undefined))
  })
})
