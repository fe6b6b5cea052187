/**
 * The hand-written baseline: `size` raw worker_threads, requests sent
 * round-robin with many in flight (pipelined), replies matched by id. No
 * queue, no back-pressure, no error handling: the floor of what a pool costs.
 */
import { Worker } from "node:worker_threads"
import type { PromiseLib } from "../types.js"
import { OP_ECHO, OP_ECHO_TRANSFER, OP_INC, OP_INC_CHUNK, OP_SPIN } from "../workers/raw-worker.js"

export const lib: PromiseLib = {
  kind: "promise",
  create: (params) => {
    const url = new URL("../workers/raw-worker.js", import.meta.url)
    const pending = new Map<number, (value: any) => void>()
    const workers = Array.from({ length: params.size }, () => {
      const worker = new Worker(url)
      worker.on("message", ([id, result]: readonly [number, unknown]) => {
        const resolve = pending.get(id)!
        pending.delete(id)
        resolve(result)
      })
      return worker
    })
    let nextId = 0
    let next = 0
    const send = <A>(op: number, payload: unknown, transfer?: ReadonlyArray<ArrayBuffer>): Promise<A> =>
      new Promise<A>((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        const worker = workers[next]!
        next = (next + 1) % workers.length
        if (transfer === undefined) worker.postMessage([id, op, payload])
        else worker.postMessage([id, op, payload], [...transfer])
      })
    return {
      inc: (x) => send(OP_INC, x),
      // manual chunking, like multiprocessing: about four chunks per worker
      map: async (xs) => {
        const size = Math.max(1, Math.ceil(xs.length / (workers.length * 4)))
        const chunks: Array<Promise<Array<number>>> = []
        for (let i = 0; i < xs.length; i += size) chunks.push(send(OP_INC_CHUNK, xs.slice(i, i + size)))
        return (await Promise.all(chunks)).flat()
      },
      spin: (iterations) => send(OP_SPIN, iterations),
      echo: (array) => send(OP_ECHO, array),
      echoTransfer: (array) => send(OP_ECHO_TRANSFER, array, [array.buffer]),
      close: async () => {
        await Promise.all(workers.map((worker) => worker.terminate()))
      }
    }
  },
  notes: {
    "tiny-map": "manual chunks of n / (4 × workers) items per message",
    "buffer-transfer": "`postMessage(msg, [buffer])` both ways"
  }
}
