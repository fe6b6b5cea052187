/** workerpool: worker threads, minWorkers = maxWorkers = size, otherwise its defaults. */
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import type { F64, PromiseLib } from "../types.js"

const workerpool: typeof import("workerpool") = createRequire(import.meta.url)("workerpool")

export const lib: PromiseLib = {
  kind: "promise",
  create: (params) => {
    const pool = workerpool.pool(fileURLToPath(new URL("../workers/workerpool-worker.js", import.meta.url)), {
      workerType: "thread",
      minWorkers: params.size,
      maxWorkers: params.size
    })
    return {
      inc: (x) => pool.exec("inc", [x]) as Promise<number>,
      map: undefined,
      spin: (iterations) => pool.exec("spin", [iterations]) as Promise<number>,
      echo: (array) => pool.exec("echo", [array]) as Promise<F64>,
      echoTransfer: (array) => pool.exec("echoTransfer", [array], { transfer: [array.buffer] }) as Promise<F64>,
      close: async () => {
        await pool.terminate()
      }
    }
  },
  notes: {
    "tiny-map": "no map operation",
    "buffer-transfer": "`transfer` option to the worker, `new Transfer()` back"
  }
}
