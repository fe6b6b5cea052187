/**
 * pprocess's channels with `continuous` results: one long-running task streams values (primes) back while
 * the main program sends it commands ("give me n more"); closing the input ends it with its own result.
 *
 * Run: npx tsx examples/pprocess-channel.ts
 */
import { Chunk, Effect, Stream } from "effect"
import { NodeWorkerPool } from "../src/index.js"
import { Primes } from "./tasks.js"

const program = Effect.scoped(Effect.gen(function*() {
  const channel = yield* Primes.open({ from: 1_000_000 })
  for (const count of [3, 5, 1000]) {
    yield* channel.send({ count })
    const batch: Array<number> = []
    for (let i = 0; i < count; i++) {
      const next = yield* channel.take
      if (next._tag === "Some") batch.push(next.value)
    }
    console.log(`asked for ${count}: ${batch.length <= 5 ? batch.join(", ") : `${batch[0]} ... ${batch.at(-1)}`}`)
  }
  yield* channel.closeInput
  const rest = yield* Stream.runCollect(channel.output)
  console.log(`after closing: ${Chunk.size(rest)} more`)
  console.log(`the task sent ${yield* channel.await} primes in all`)
}))

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: 1 })),
  Effect.runPromise
)
