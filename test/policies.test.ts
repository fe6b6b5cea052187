import { assert, describe, it } from "@effect/vitest"
import { autoChunkSize, MAX_AUTO_CHUNK, nextChunkSize } from "../src/internal/chunking.js"
import { Admission } from "../src/internal/admission.js"
import { Deque } from "../src/internal/deque.js"

describe("chunking policy", () => {
  it("known length: about four chunks per worker, at least 1, at most MAX_AUTO_CHUNK", () => {
    assert.strictEqual(autoChunkSize(4, 4), 1)
    assert.strictEqual(autoChunkSize(32, 2), 4)
    assert.strictEqual(autoChunkSize(1000, 2), 125)
    assert.strictEqual(autoChunkSize(10_000_000, 2), MAX_AUTO_CHUNK)
    assert.strictEqual(autoChunkSize(0, 2), 1)
  })

  it("unknown length: sized so a chunk takes about 2 ms", () => {
    assert.strictEqual(nextChunkSize(20), 1)
    assert.strictEqual(nextChunkSize(0.1), 20)
    assert.strictEqual(nextChunkSize(0.0001), MAX_AUTO_CHUNK)
    assert.strictEqual(nextChunkSize(0), MAX_AUTO_CHUNK)
  })
})

describe("Deque", () => {
  it("is first in, first out across growth, and unshiftAll keeps order", () => {
    const deque = new Deque<number>()
    for (let i = 0; i < 100; i++) deque.push(i)
    for (let i = 0; i < 50; i++) assert.strictEqual(deque.shift(), i)
    deque.unshiftAll([-2, -1])
    for (let i = 100; i < 140; i++) deque.push(i)
    const out: Array<number> = []
    let x: number | undefined
    while ((x = deque.shift()) !== undefined) out.push(x)
    assert.deepStrictEqual(out, [-2, -1, ...Array.from({ length: 90 }, (_, i) => i + 50)])
    assert.strictEqual(deque.length, 0)
  })
})

describe("Admission", () => {
  it("lets callers in while there is room, then one at a time in arrival order; withdrawn callers never enter", () => {
    const admission = new Admission(2)
    let size = 0
    const entered: Array<string> = []
    const enter = (name: string) => () => {
      entered.push(name)
      size++
    }
    admission.request(size, enter("a"))
    admission.request(size, enter("b"))
    admission.request(size, enter("c"))
    const withdrawD = admission.request(size, enter("d"))
    admission.request(size, enter("e"))
    assert.deepStrictEqual(entered, ["a", "b"])
    assert.isTrue(withdrawD())
    size = 1
    admission.admit(() => size)
    assert.deepStrictEqual(entered, ["a", "b", "c"])
    size = 0
    admission.admit(() => size)
    assert.deepStrictEqual(entered, ["a", "b", "c", "e"])
    admission.request(5, enter("f"))
    admission.releaseAll()
    assert.deepStrictEqual(entered, ["a", "b", "c", "e", "f"])
  })
})
