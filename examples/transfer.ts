/**
 * Moving buffers instead of copying them: a signal of 4 million samples (32 MiB), cut into one block per worker,
 * each block smoothed in a worker thread. `Task.transferable` on the task's Schema moves each block to its worker
 * and back: nothing is copied, and a block sent is unusable here until it comes back.
 *
 * Run: npx tsx examples/transfer.ts
 */
import { Effect } from "effect"
import { NodeWorkerPool, Parallel } from "../src/index.js"
import { Smooth, smooth } from "./tasks.js"

const SAMPLES = 4_000_000
const WIDTH = 16

const signal = (): Float64Array => Float64Array.from({ length: SAMPLES }, (_, i) => Math.sin(i / 1000) + (i % 7) / 10)

const program = Effect.gen(function*() {
  const blocks = 4
  const size = SAMPLES / blocks
  const whole = signal()
  const parts = Array.from({ length: blocks }, (_, b) => whole.slice(b * size, (b + 1) * size))
  const start = performance.now()
  const smoothed = yield* Parallel.map(parts, (samples) => new Smooth({ samples, width: WIDTH }), { chunkSize: 1 })
  const ms = performance.now() - start
  // each block left this thread (its buffer is detached) and came back smoothed
  console.log(`blocks sent: ${parts.map((part) => part.byteLength).join(", ")} bytes left here`)
  console.log(`blocks back: ${smoothed.map((part) => part.byteLength).join(", ")} bytes`)
  // the same as smoothing each block here
  const serial = Array.from({ length: blocks }, (_, b) => smooth(whole.slice(b * size, (b + 1) * size), WIDTH))
  const same = smoothed.every((part, b) => part.every((x, i) => x === serial[b]![i]))
  console.log(`same as serial: ${same}`)
  console.log(`smoothed ${SAMPLES} samples in ${blocks} workers in ${ms.toFixed(0)} ms`)
})

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: 4 })),
  Effect.runPromise
)
