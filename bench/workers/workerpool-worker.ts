/** workerpool's worker: its methods by name. workerpool is CommonJS (UMD), so it is required. */
import { createRequire } from "node:module"
import { inc, spin, touch } from "../work.js"

const workerpool: typeof import("workerpool") = createRequire(import.meta.url)("workerpool")

workerpool.worker({
  inc,
  spin,
  echo: touch,
  echoTransfer: (array: Float64Array) => {
    const result = touch(array)
    return new workerpool.Transfer(result, [result.buffer])
  }
})
