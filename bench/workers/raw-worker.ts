/**
 * The hand-written baseline's worker: a bare message loop, no pool logic.
 * Messages are [id, op, payload]; replies are [id, result].
 */
import { parentPort } from "node:worker_threads"
import { inc, spin, touch } from "../work.js"

export const OP_INC = 0
export const OP_INC_CHUNK = 1
export const OP_SPIN = 2
export const OP_ECHO = 3
export const OP_ECHO_TRANSFER = 4

const port = parentPort
if (port !== null) {
  port.on("message", (message: readonly [number, number, unknown]) => {
    const [id, op, payload] = message
    switch (op) {
      case OP_INC:
        return port.postMessage([id, inc(payload as number)])
      case OP_INC_CHUNK: {
        const xs = payload as Array<number>
        const out: Array<number> = new Array(xs.length)
        for (let i = 0; i < xs.length; i++) out[i] = inc(xs[i]!)
        return port.postMessage([id, out])
      }
      case OP_SPIN:
        return port.postMessage([id, spin(payload as number)])
      case OP_ECHO:
        return port.postMessage([id, touch(payload as Float64Array)])
      case OP_ECHO_TRANSFER: {
        const array = touch(payload as Float64Array)
        return port.postMessage([id, array], [array.buffer as ArrayBuffer])
      }
    }
  })
}
