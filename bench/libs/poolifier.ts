/** poolifier: FixedThreadPool of `size` workers, otherwise its defaults. */
import { FixedThreadPool } from "poolifier"
import { fileURLToPath } from "node:url"
import type { F64, PromiseLib } from "../types.js"

export const lib: PromiseLib = {
  kind: "promise",
  create: (params) => {
    const pool = new FixedThreadPool<unknown, unknown>(
      params.size,
      fileURLToPath(new URL("../workers/poolifier-worker.js", import.meta.url)),
      { errorHandler: (error) => console.error(error) }
    )
    return {
      inc: (x) => pool.execute(x, "inc") as Promise<number>,
      map: (xs) => pool.mapExecute(xs, "inc") as Promise<Array<number>>,
      spin: (iterations) => pool.execute(iterations, "spin") as Promise<number>,
      echo: (array) => pool.execute(array, "echo") as Promise<F64>,
      echoTransfer: (array) => pool.execute(array, "echo", undefined, [array.buffer as ArrayBuffer]) as Promise<F64>,
      close: () => pool.destroy()
    }
  },
  notes: {
    "tiny-map": "`mapExecute(items, \"inc\")` (one task per item, no chunking)",
    "buffer-transfer": "transferred to the worker only: a poolifier worker always clones its result back"
  }
}
