/**
 * The tasks the examples run, shared by the main programs and their worker module.
 */
import { Schema } from "effect"
import { Task, TaskChannel } from "../src/index.js"

/** multiprocessing's `square(x)`. */
export class Square extends Task.Class<Square>()("Square", {
  payload: { x: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** parcompute.py's `compute(istart, iend)`: the sum of i**3 + 123456789*i**10 + i*23456789. */
export class Compute extends Task.Class<Compute>()("Compute", {
  payload: { start: Schema.Number, end: Schema.Number },
  success: Schema.BigIntFromSelf,
  failure: Schema.Never
}) {}

/** CPU-bound work: count the primes below `limit` by trial division. */
export class CountPrimes extends Task.Class<CountPrimes>()("CountPrimes", {
  payload: { from: Schema.Number, to: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export const compute = (start: number, end: number): bigint => {
  let sum = 0n
  for (let n = start; n <= end; n++) {
    const i = BigInt(n)
    sum += i ** 3n + 123456789n * i ** 10n + i * 23456789n
  }
  return sum
}

export const countPrimes = (from: number, to: number): number => {
  let count = 0
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
  }
  return count
}

/** pprocess's simple.py: `calculate(t)` waits `delay` and returns `i * N + j` (the work is a stand-in, as there). */
export class Calculate extends Task.Class<Calculate>()("Calculate", {
  payload: { i: Schema.Number, j: Schema.Number, n: Schema.Number, delayMillis: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** A task of uneven length: waits `millis`, then returns its name. */
export class Errand extends Task.Class<Errand>()("Errand", {
  payload: { name: Schema.String, millis: Schema.Number },
  success: Schema.String,
  failure: Schema.Never
}) {}

/**
 * A continuous channel task (pprocess's generator-style results): it streams primes in order; each input
 * command asks for `count` more; it ends with how many it sent once the main side closes its input.
 */
export class Primes extends TaskChannel.Class<Primes>()("Primes", {
  payload: { from: Schema.Number },
  input: Schema.Struct({ count: Schema.Number }),
  output: Schema.Number,
  success: Schema.Number,
  failure: Schema.Never
}) {}

export const isPrime = (n: number): boolean => {
  if (n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

/** basic.py's `test(name)`: prints a welcome from its worker. */
export class Welcome extends Task.Class<Welcome>()("Welcome", {
  payload: { name: Schema.String },
  success: Schema.Void,
  failure: Schema.Never
}) {}

/** counting.py's `count(number, label)`: prints `number` lines, pausing between them. */
export class Count extends Task.Class<Count>()("Count", {
  payload: { number: Schema.Number, label: Schema.String, pauseMillis: Schema.Number },
  success: Schema.Void,
  failure: Schema.Never
}) {}

/** waste.py's `waste(id)`, bounded: prints `rounds` times while burning CPU, then stops. */
export class Waste extends Task.Class<Waste>()("Waste", {
  payload: { id: Schema.Number, rounds: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** parallel.py's `coremsg(smsg, icore)`. */
export class CoreMessage extends Task.Class<CoreMessage>()("CoreMessage", {
  payload: { message: Schema.String, core: Schema.Number },
  success: Schema.String,
  failure: Schema.Never
}) {}

/** A Float64Array that moves to and from worker threads instead of being copied. */
export const Samples = Task.transferable(Schema.instanceOf(Float64Array), (samples) => [samples.buffer])

/** Smooths a block of samples (a moving average over `width` samples); the block moves both ways. */
export class Smooth extends Task.Class<Smooth>()("Smooth", {
  payload: { samples: Samples, width: Schema.Int },
  success: Samples,
  failure: Schema.Never
}) {}

/** The moving average of `samples` over `width` samples (fewer at the start), in place. */
export const smooth = <A extends Float64Array>(samples: A, width: number): A => {
  const window = new Float64Array(width)
  let sum = 0
  for (let i = 0; i < samples.length; i++) {
    sum += samples[i]! - window[i % width]!
    window[i % width] = samples[i]!
    samples[i] = sum / Math.min(i + 1, width)
  }
  return samples
}
