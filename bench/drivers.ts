/**
 * The scenarios, written once per kind of library: promise-based pools,
 * Effect-based pools, and the serial in-process baseline. Each returns the
 * metrics of one (library, scenario) process. Timed regions exclude pool
 * start-up (except in "startup") and warm-up.
 */
import * as Effect from "effect/Effect"
import { checkInc, iota, incSum, median, quantile, range } from "./stats.js"
import type { CaseResult, EffectLib, F64, EffectPool, Params, PromiseLib, PromisePool, ScenarioId } from "./types.js"
import { inc, spin, touch } from "./work.js"

const now = () => performance.now()

const warmCount = (n: number) => Math.max(10, Math.min(10_000, Math.ceil(n / 10)))

const ok = (metrics: Record<string, number>, note?: string): CaseResult =>
  note === undefined ? { status: "ok", metrics } : { status: "ok", metrics, note }

const na = (note: string): CaseResult => ({ status: "n/a", note })

const gc = () => (globalThis as { gc?: () => void }).gc?.()

const maxRssKiB = () => process.resourceUsage().maxRSS

const makeArray = (bytes: number): F64 => {
  const array = new Float64Array(bytes / 8)
  for (let i = 0; i < array.length; i++) array[i] = i
  return array
}

const checkArray = (array: F64, bytes: number) => {
  if (array.byteLength !== bytes) throw new Error(`expected ${bytes} bytes back, got ${array.byteLength}`)
}

/** The CPU tasks run serially in this process: the reference of the speedup. */
const serialSpinMs = (params: Params): number => {
  const t = now()
  for (let i = 0; i < params.cpuTasks; i++) spin(params.spinIterations)
  return now() - t
}

/**
 * Speedup against serial runs in the same process just before and after the
 * pool's run (their mean), so that both see the same machine load.
 */
const cpuMetrics = (before: number, ms: number, after: number) => {
  const serialMs = (before + after) / 2
  return { ms, serialMs, speedup: serialMs / ms }
}

const latencyMetrics = (samples: ReadonlyArray<number>) => ({
  medianUs: median(samples) * 1000,
  p99Us: quantile(samples, 0.99) * 1000
})

const bufferMetrics = (samples: ReadonlyArray<number>, detached: boolean) => ({
  roundTripMs: median(samples),
  p99Ms: quantile(samples, 0.99),
  detachedOnSend: detached ? 1 : 0
})

// ---------------------------------------------------------------------------
// promise-based pools
// ---------------------------------------------------------------------------

/** Keeps `window` calls in flight over a lazy iterator; resolves with the sum of the results. */
const pipelined = (
  iterator: Iterator<number>,
  window: number,
  f: (x: number) => Promise<number>
): Promise<number> =>
  new Promise((resolve, reject) => {
    let sum = 0
    let inflight = 0
    let done = false
    const pump = () => {
      while (!done && inflight < window) {
        const next = iterator.next()
        if (next.done === true) {
          done = true
          break
        }
        inflight++
        f(next.value).then((y) => {
          sum += y
          inflight--
          pump()
        }, reject)
      }
      if (done && inflight === 0) resolve(sum)
    }
    pump()
  })

/**
 * Closes a pool, waiting at most 5 s: poolifier's destroy() sometimes never
 * settles (and leaves nothing to keep the event loop alive), which must not
 * lose the measurement taken before it.
 */
const closeWithin = async (pool: PromisePool): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), 5000)
  })
  const outcome = await Promise.race([pool.close().then(() => "closed" as const), timeout])
  clearTimeout(timer)
  if (outcome === "timeout") process.stderr.write("bench: the pool did not close within 5 s\n")
}

const withPool = async (
  lib: PromiseLib,
  params: Params,
  f: (pool: PromisePool) => Promise<CaseResult>
): Promise<CaseResult> => {
  const pool = lib.create(params)
  try {
    return await f(pool)
  } finally {
    await closeWithin(pool)
  }
}

export const runPromise = (lib: PromiseLib, scenario: ScenarioId, params: Params): Promise<CaseResult> => {
  switch (scenario) {
    case "tiny-run":
      return withPool(lib, params, async (pool) => {
        await Promise.all(iota(warmCount(params.tinyN)).map((x) => pool.inc(x)))
        const xs = iota(params.tinyN)
        const t = now()
        const out = await Promise.all(xs.map((x) => pool.inc(x)))
        const ms = now() - t
        checkInc(out, params.tinyN)
        return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms })
      })
    case "tiny-map":
      return withPool(lib, params, async (pool) => {
        const map = pool.map
        if (map === undefined) return na(lib.notes?.["tiny-map"] ?? "no map operation")
        await map(iota(warmCount(params.tinyN)))
        const xs = iota(params.tinyN)
        const t = now()
        const out = await map(xs)
        const ms = now() - t
        checkInc(out, params.tinyN)
        return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms })
      })
    case "cpu":
      return withPool(lib, params, async (pool) => {
        await Promise.all(iota(params.size * 2).map(() => pool.spin(Math.ceil(params.spinIterations / 10))))
        spin(Math.ceil(params.spinIterations / 10))
        const before = serialSpinMs(params)
        const t = now()
        await Promise.all(iota(params.cpuTasks).map(() => pool.spin(params.spinIterations)))
        const ms = now() - t
        return ok(cpuMetrics(before, ms, serialSpinMs(params)))
      })
    case "latency":
      return withPool(lib, params, async (pool) => {
        for (let i = 0; i < params.latencyWarmup; i++) await pool.inc(i)
        const samples: Array<number> = new Array(params.latencyN)
        for (let i = 0; i < params.latencyN; i++) {
          const t = now()
          const y = await pool.inc(i)
          samples[i] = now() - t
          if (y !== i + 1) throw new Error(`latency: got ${y} for ${i}`)
        }
        return ok(latencyMetrics(samples))
      })
    case "buffer-clone":
      return withPool(lib, params, async (pool) => {
        const array = makeArray(params.bufferBytes)
        for (let i = 0; i < 5; i++) checkArray(await pool.echo(array), params.bufferBytes)
        const samples: Array<number> = []
        for (let i = 0; i < params.bufferN; i++) {
          const t = now()
          const out = await pool.echo(array)
          samples.push(now() - t)
          checkArray(out, params.bufferBytes)
        }
        return ok(bufferMetrics(samples, false))
      })
    case "buffer-transfer":
      return withPool(lib, params, async (pool) => {
        const echo = pool.echoTransfer
        if (echo === undefined) return na(lib.notes?.["buffer-transfer"] ?? "no transfer")
        let array = makeArray(params.bufferBytes)
        let detached = true
        for (let i = 0; i < 5; i++) array = await echo(array)
        const samples: Array<number> = []
        for (let i = 0; i < params.bufferN; i++) {
          const sent = array
          const t = now()
          array = await echo(sent)
          samples.push(now() - t)
          if (sent.byteLength !== 0) detached = false
          checkArray(array, params.bufferBytes)
        }
        return ok(bufferMetrics(samples, detached))
      })
    case "startup": {
      const t = now()
      const pool = lib.create(params)
      return pool.inc(1).then(async (y) => {
        const firstResultMs = now() - t
        await closeWithin(pool)
        if (y !== 2) throw new Error(`startup: got ${y}`)
        return ok({ firstResultMs })
      })
    }
    case "stream":
      return withPool(lib, params, async (pool) => {
        await pipelined(range(warmCount(params.streamN)), params.streamWindow, pool.inc)
        gc()
        const before = maxRssKiB()
        const t = now()
        const sum = await pipelined(range(params.streamN), params.streamWindow, pool.inc)
        const ms = now() - t
        const growth = (maxRssKiB() - before) / 1024
        if (sum !== incSum(params.streamN)) throw new Error(`stream: sum ${sum}`)
        return ok({ itemsPerSec: params.streamN / (ms / 1000), ms, rssGrowthMiB: growth })
      })
  }
}

// ---------------------------------------------------------------------------
// Effect-based pools
// ---------------------------------------------------------------------------

const timed = <A, E>(self: Effect.Effect<A, E>): Effect.Effect<readonly [A, number], E> =>
  Effect.suspend(() => {
    const t = now()
    return Effect.map(self, (a) => [a, now() - t] as const)
  })

const scenarioEffect = (
  pool: EffectPool,
  scenario: Exclude<ScenarioId, "startup">,
  params: Params,
  lib: EffectLib
): Effect.Effect<CaseResult, unknown> =>
  Effect.gen(function*() {
    const notes = lib.notes
    const inFlight = lib.inFlight?.(params)
    const concurrency = inFlight ?? "unbounded"
    switch (scenario) {
      case "tiny-run": {
        yield* Effect.forEach(iota(warmCount(params.tinyN)), pool.inc, { concurrency })
        const xs = iota(params.tinyN)
        // `run` in a forEach: one fiber per task
        const [out, runMs] = yield* timed(Effect.forEach(xs, (x) => pool.inc(x), { concurrency }))
        checkInc(out, params.tinyN)
        const runTasksPerSec = params.tinyN / (runMs / 1000)
        const submitAll = pool.submitAll
        if (submitAll === undefined) return ok({ tasksPerSec: runTasksPerSec, ms: runMs })
        yield* submitAll(iota(warmCount(params.tinyN)))
        const [submitted, ms] = yield* timed(submitAll(xs))
        checkInc(submitted, params.tinyN)
        return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms, runTasksPerSec })
      }
      case "tiny-map": {
        const map = pool.map
        if (map === undefined) return na(notes?.["tiny-map"] ?? "no map operation")
        yield* map(iota(warmCount(params.tinyN)))
        const xs = iota(params.tinyN)
        const [out, ms] = yield* timed(map(xs))
        checkInc(out, params.tinyN)
        return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms })
      }
      case "cpu": {
        yield* Effect.forEach(iota(params.size * 2), () => pool.spin(Math.ceil(params.spinIterations / 10)), {
          concurrency: "unbounded"
        })
        spin(Math.ceil(params.spinIterations / 10))
        const before = serialSpinMs(params)
        const [, ms] = yield* timed(
          Effect.forEach(iota(params.cpuTasks), () => pool.spin(params.spinIterations), { concurrency: "unbounded" })
        )
        const between = serialSpinMs(params)
        const metrics = cpuMetrics(before, ms, between)
        if (pool.spinMap === undefined) return ok(metrics)
        // the same tasks through the library's map, with its serial reference just before and after
        const [, mapMs] = yield* timed(pool.spinMap(params.cpuTasks, params.spinIterations))
        const map = cpuMetrics(between, mapMs, serialSpinMs(params))
        return ok({ ...metrics, mapMs, speedupMap: map.speedup })
      }
      case "latency": {
        const metrics = latencyMetrics(yield* sequentialLatencies(pool, params))
        if (lib.useWithoutSpin === undefined) return ok(metrics)
        // the same, in a second pool whose idle workers sleep at once instead of polling for their next task
        const sleeping = latencyMetrics(yield* lib.useWithoutSpin(params, (pool) => sequentialLatencies(pool, params)))
        return ok({ ...metrics, medianUsNoSpin: sleeping.medianUs, p99UsNoSpin: sleeping.p99Us })
      }
      case "buffer-clone": {
        const array = makeArray(params.bufferBytes)
        for (let i = 0; i < 5; i++) checkArray(yield* pool.echo(array), params.bufferBytes)
        const samples: Array<number> = []
        for (let i = 0; i < params.bufferN; i++) {
          const t = now()
          const out = yield* pool.echo(array)
          samples.push(now() - t)
          checkArray(out, params.bufferBytes)
        }
        return ok(bufferMetrics(samples, false))
      }
      case "buffer-transfer": {
        const echo = pool.echoTransfer
        if (echo === undefined) return na(notes?.["buffer-transfer"] ?? "no transfer")
        let array = makeArray(params.bufferBytes)
        let detached = true
        for (let i = 0; i < 5; i++) array = yield* echo(array)
        const samples: Array<number> = []
        for (let i = 0; i < params.bufferN; i++) {
          const sent = array
          const t = now()
          array = yield* echo(sent)
          samples.push(now() - t)
          if (sent.byteLength !== 0) detached = false
          checkArray(array, params.bufferBytes)
        }
        return ok(bufferMetrics(samples, detached))
      }
      case "stream": {
        const window = inFlight ?? params.streamWindow
        yield* pool.stream(warmCount(params.streamN), window)
        gc()
        const before = maxRssKiB()
        const [sum, ms] = yield* timed(pool.stream(params.streamN, window))
        const growth = (maxRssKiB() - before) / 1024
        if (sum !== incSum(params.streamN)) throw new Error(`stream: sum ${sum}`)
        return ok({ itemsPerSec: params.streamN / (ms / 1000), ms, rssGrowthMiB: growth })
      }
    }
  })

/** Scenario 3 for an Effect pool: the latency of each of `latencyN` sequential tasks, after a warm-up. */
const sequentialLatencies = (pool: EffectPool, params: Params): Effect.Effect<ReadonlyArray<number>, unknown> =>
  Effect.gen(function*() {
    for (let i = 0; i < params.latencyWarmup; i++) yield* pool.inc(i)
    const samples: Array<number> = new Array(params.latencyN)
    for (let i = 0; i < params.latencyN; i++) {
      const t = now()
      const y = yield* pool.inc(i)
      samples[i] = now() - t
      if (y !== i + 1) throw new Error(`latency: got ${y} for ${i}`)
    }
    return samples
  })

export const runEffect = (lib: EffectLib, scenario: ScenarioId, params: Params): Promise<CaseResult> => {
  if (scenario === "startup") {
    const t = now()
    return Effect.runPromise(
      lib.use(params, (pool) =>
        Effect.map(pool.inc(1), (y) => {
          if (y !== 2) throw new Error(`startup: got ${y}`)
          return now() - t
        }))
    ).then((firstResultMs) => ok({ firstResultMs }))
  }
  return Effect.runPromise(lib.use(params, (pool) => scenarioEffect(pool, scenario, params, lib)))
}

// ---------------------------------------------------------------------------
// serial, in-process
// ---------------------------------------------------------------------------

export const runSerial = (scenario: ScenarioId, params: Params): CaseResult => {
  switch (scenario) {
    case "tiny-run": {
      const xs = iota(params.tinyN)
      for (const x of iota(warmCount(params.tinyN))) inc(x)
      const out: Array<number> = new Array(params.tinyN)
      const t = now()
      for (let i = 0; i < xs.length; i++) out[i] = inc(xs[i]!)
      const ms = now() - t
      checkInc(out, params.tinyN)
      return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms })
    }
    case "tiny-map": {
      const xs = iota(params.tinyN)
      iota(warmCount(params.tinyN)).map(inc)
      const t = now()
      const out = xs.map(inc)
      const ms = now() - t
      checkInc(out, params.tinyN)
      return ok({ tasksPerSec: params.tinyN / (ms / 1000), ms })
    }
    case "cpu": {
      spin(Math.ceil(params.spinIterations / 10))
      const ms = serialSpinMs(params)
      return ok({ ms, serialMs: ms, speedup: 1 })
    }
    case "latency":
      return na("no worker: nothing to wait for")
    case "buffer-clone": {
      // the in-process floor of a clone: structuredClone there and back
      const array = makeArray(params.bufferBytes)
      const samples: Array<number> = []
      for (let i = 0; i < params.bufferN + 5; i++) {
        const t = now()
        const out = structuredClone(touch(structuredClone(array)))
        if (i >= 5) samples.push(now() - t)
        checkArray(out, params.bufferBytes)
      }
      return ok(bufferMetrics(samples, false), "structuredClone twice, in-process")
    }
    case "buffer-transfer":
      return na("no worker: nothing to transfer to")
    case "startup":
      return na("no pool")
    case "stream": {
      gc()
      const before = maxRssKiB()
      const t = now()
      let sum = 0
      for (const x of range(params.streamN)) sum += inc(x)
      const ms = now() - t
      const growth = (maxRssKiB() - before) / 1024
      if (sum !== incSum(params.streamN)) throw new Error(`stream: sum ${sum}`)
      return ok({ itemsPerSec: params.streamN / (ms / 1000), ms, rssGrowthMiB: growth })
    }
  }
}
