/** tinypool: minThreads = maxThreads = size, otherwise its defaults. */
import { Tinypool } from "tinypool"
import type { PromiseLib } from "../types.js"

export const lib: PromiseLib = {
  kind: "promise",
  create: (params) => {
    const pool = new Tinypool({
      filename: new URL("../workers/tinypool-worker.js", import.meta.url).href,
      minThreads: params.size,
      maxThreads: params.size
    })
    return {
      inc: (x) => pool.run(x, { name: "inc" }),
      map: undefined,
      spin: (iterations) => pool.run(iterations, { name: "spin" }),
      echo: (array) => pool.run(array, { name: "echo" }),
      echoTransfer: (array) => pool.run(array, { name: "echoTransfer", transferList: [array.buffer as ArrayBuffer] }),
      close: () => pool.destroy()
    }
  },
  notes: {
    "tiny-map": "no map operation",
    "buffer-transfer": "`transferList` to the worker, `Tinypool.move()` back"
  }
}
