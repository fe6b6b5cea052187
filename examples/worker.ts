/**
 * The worker module of the examples: one handler per task.
 */
import { Effect } from "effect"
import { TaskRunner } from "../src/index.js"
import {
  Calculate,
  Compute,
  compute,
  CoreMessage,
  Count,
  CountPrimes,
  countPrimes,
  Errand,
  isPrime,
  Primes,
  Smooth,
  smooth,
  Square,
  Waste,
  Welcome
} from "./tasks.js"

export default TaskRunner.make([
  Square,
  Compute,
  CountPrimes,
  Calculate,
  Errand,
  Primes,
  Welcome,
  Count,
  Waste,
  CoreMessage,
  Smooth
], {
  CoreMessage: ({ core, message }) => Effect.succeed(` ${message} from core : ${core}`),
  Welcome: ({ name }) => Effect.sync(() => console.log(` welcome ${name} to multiprocessing!`)),
  Count: ({ label, number, pauseMillis }) =>
    Effect.forEach(
      Array.from({ length: number }, (_, i) => i),
      (i) => Effect.zipRight(Effect.sync(() => console.log(` ${i} ${label}`)), Effect.sleep(pauseMillis)),
      { discard: true }
    ),
  Waste: ({ id, rounds }) =>
    Effect.sync(() => {
      let waste = 0
      for (let round = 0; round < rounds; round++) {
        console.log(`${id} Total waste of CPU cycles!`)
        for (let i = 0; i < 2_000_000; i++) waste += i % 7
      }
      return waste
    }),
  Square: ({ x }) => Effect.succeed(x * x),
  // its Schema moves the block back (Task.transferable): it answers at once, with no copy either way
  Smooth: ({ samples, width }) => Effect.succeed(smooth(samples, width)),
  Compute: ({ end, start }) => Effect.sync(() => compute(start, end)),
  CountPrimes: ({ from, to }) => Effect.sync(() => countPrimes(from, to)),
  Calculate: ({ delayMillis, i, j, n }) => Effect.as(Effect.sleep(delayMillis), i * n + j),
  Errand: ({ millis, name }) => Effect.as(Effect.sleep(millis), name),
  Primes: ({ from }, port) =>
    Effect.gen(function*() {
      let candidate = from
      let sent = 0
      for (;;) {
        const command = yield* port.take
        if (command._tag === "None") return sent
        for (let found = 0; found < command.value.count; candidate++) {
          if (!isPrime(candidate)) continue
          yield* port.send(candidate)
          found++
          sent++
        }
      }
    })
})
