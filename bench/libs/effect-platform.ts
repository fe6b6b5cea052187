/**
 * @effect/platform's own pool used directly: Worker.makePoolSerialized with
 * NodeWorker.layer, default options except the size (concurrency 1 per worker).
 */
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as Worker from "@effect/platform/Worker"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as WorkerThreads from "node:worker_threads"
import { Echo, EchoTransfer, Inc, type Request, Spin } from "../platform-tasks.js"
import type { EffectLib, EffectPool } from "../types.js"

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i
}

export const lib: EffectLib = {
  kind: "effect",
  use: (params, f) =>
    Effect.scoped(
      Effect.gen(function*() {
        const pool = yield* Worker.makePoolSerialized<Request>({ size: params.size })
        const wrapped: EffectPool = {
          inc: (x) => pool.executeEffect(new Inc({ x })),
          map: undefined,
          stream: (n, window) =>
            Stream.runFold(
              Stream.mapEffect(Stream.fromIterable(range(n)), (x) => pool.executeEffect(new Inc({ x })), {
                concurrency: window
              }),
              0,
              (sum, y) => sum + y
            ),
          spin: (iterations) => pool.executeEffect(new Spin({ iterations })),
          echo: (array) => pool.executeEffect(new Echo({ array })),
          echoTransfer: (array) => pool.executeEffect(new EchoTransfer({ array }))
        }
        return yield* f(wrapped)
      })
    ).pipe(
      Effect.provide(
        NodeWorker.layer(() => new WorkerThreads.Worker(new URL("../workers/platform-worker.js", import.meta.url)))
      )
    ),
  // Submitting every task at once is quadratic in this pool (2,000 tasks took 27 s, so 100,000
  // would take hours): submit at most twice the pool's capacity (size x concurrency 1) at a time.
  inFlight: (params) => 2 * params.size,
  notes: {
    "tiny-run":
      "`Effect.forEach(items, (x) => pool.executeEffect(new Inc({ x })), { concurrency: 2 × size })`: with \"unbounded\" the pool is quadratic in waiting tasks (2,000 tasks took 27 s)",
    "tiny-map": "no map operation (1a is its closest equivalent)",
    "buffer-transfer": "`Transferable.schema` on the field and the result: moved both ways",
    stream:
      "`Stream.mapEffect(executeEffect, { concurrency: 2 × size })` over a generator; **a tenth of the items** (at ~3,500 items/s a million take ~5 min)"
  }
}
