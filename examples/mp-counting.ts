/**
 * multiprocessing's counting.py (seed 003, Listing 2): three processes count and print as they go, so their
 * lines interleave on the console. The pauses are (number - 15) * 10 ms instead of (number - 15) / 10 s.
 *
 * Run: npx tsx examples/mp-counting.ts
 */
import { Effect } from "effect"
import { Process } from "../src/index.js"
import { Count } from "./tasks.js"

const module = new URL("./worker.ts", import.meta.url)
const scale = Number(process.env.COUNT_PAUSE_SCALE ?? 10)

const program = Effect.scoped(Effect.gen(function*() {
  const processes = yield* Effect.forEach(
    [[20, " Rich"], [25, " Nus"], [30, " Geeks"]] as const,
    ([number, label]) =>
      Process.spawn(new Count({ number, label, pauseMillis: (number - 15) * scale }), { module, kind: "process" }),
    { concurrency: "unbounded" }
  )
  yield* Effect.forEach(processes, (p) => p.join, { concurrency: "unbounded", discard: true })
}))

Effect.runPromise(program)
