/** piscina's worker: one named export per operation (run with `{ name }`). */
import { move } from "piscina"
import { inc as incFn, spin as spinFn, touch } from "../work.js"

export const inc = (x: number): number => incFn(x)
export const spin = (iterations: number): number => spinFn(iterations)
export const echo = (array: Float64Array): Float64Array => touch(array)
export const echoTransfer = (array: Float64Array): unknown => move(touch(array))
