/**
 * pprocess's Exchange: start tasks of uneven length (at most `limit` at once; `start` waits when busy) and
 * collect their results as they arrive: completion order differs from submission order.
 *
 * Run: npx tsx examples/pprocess-exchange.ts
 */
import { Effect } from "effect"
import { Exchange, NodeWorkerPool } from "../src/index.js"
import { Errand } from "./tasks.js"

const errands = [
  { name: "laundry", millis: 600 },
  { name: "post", millis: 50 },
  { name: "groceries", millis: 400 },
  { name: "bank", millis: 150 },
  { name: "library", millis: 250 }
]

const program = Effect.scoped(Effect.gen(function*() {
  const exchange = yield* Exchange.make<string>({
    limit: 5,
    onResult: ({ member, value }) => Effect.sync(() => console.log(`done: ${value} (member ${member.id})`))
  })
  for (const errand of errands) {
    const member = yield* exchange.start(new Errand(errand))
    console.log(`started: ${errand.name} (member ${member.id}, ${errand.millis} ms)`)
  }
  console.log(`active: ${yield* exchange.active}`)
  const results = yield* exchange.finish
  console.log(`submitted: ${errands.map((e) => e.name).join(", ")}`)
  console.log(`completed: ${results.map((r) => r.value).join(", ")}`)
}))

program.pipe(
  Effect.provide(NodeWorkerPool.layerThreads({ module: new URL("./worker.ts", import.meta.url), size: 2, concurrency: 3 })),
  Effect.runPromise
)
