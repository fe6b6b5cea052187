/**
 * multiprocessing's basic.py (seed 003, Listing 1): three processes, each printing a welcome.
 *
 *   p1 = Process(target = test, args = ('Rich',)) ... p2.start(); p1.start(); p3.start(); p1.join() ...
 *
 * Run: npx tsx examples/mp-basic.ts
 */
import { Effect } from "effect"
import { Process } from "../src/index.js"
import { Welcome } from "./tasks.js"

const module = new URL("./worker.ts", import.meta.url)

const program = Effect.scoped(Effect.gen(function*() {
  const [p2, p1, p3] = yield* Effect.all([
    Process.spawn(new Welcome({ name: "Nus" }), { module, kind: "process" }),
    Process.spawn(new Welcome({ name: "Rich" }), { module, kind: "process" }),
    Process.spawn(new Welcome({ name: "Geeks" }), { module, kind: "process" })
  ], { concurrency: "unbounded" })
  yield* p1.join
  yield* p2.join
  yield* p3.join
  for (const p of [p1, p2, p3]) console.log(`process ${p.pid} exited with ${(yield* p.exitCode).pipe((o) => o._tag === "Some" ? o.value : "?")}`)
}))

Effect.runPromise(program)
