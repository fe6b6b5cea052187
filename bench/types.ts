/** Shared types of the harness: parameters, adapters and results. */
import type * as Effect from "effect/Effect"

/** The buffer of scenario 4. */
export type F64 = Float64Array<ArrayBuffer>

/** Sizes of one run; `quick` shrinks them for the smoke test. */
export interface Params {
  /** Workers per pool: os.availableParallelism(). */
  readonly size: number
  /** Scenario 1: number of tiny tasks. */
  readonly tinyN: number
  /** Scenario 2: number of CPU-bound tasks. */
  readonly cpuTasks: number
  /** Scenario 2: iterations of work/spin per task (calibrated to `cpuMillis`). */
  readonly spinIterations: number
  /** Scenario 2: the target duration of one CPU task, in ms. */
  readonly cpuMillis: number
  /** Scenario 3: sequential awaited tasks, and warm-up tasks before them. */
  readonly latencyN: number
  readonly latencyWarmup: number
  /** Scenario 4: bytes of the F64, and round trips. */
  readonly bufferBytes: number
  readonly bufferN: number
  /** Scenario 6: items streamed, and the in-flight window of peers' loops. */
  readonly streamN: number
  readonly streamWindow: number
}

/** A promise-based pool, as its users would drive it. */
export interface PromisePool {
  readonly inc: (x: number) => Promise<number>
  /** The library's own batch/map operation, if it has one. */
  readonly map: ((xs: ReadonlyArray<number>) => Promise<Array<number>>) | undefined
  readonly spin: (iterations: number) => Promise<number>
  readonly echo: (array: F64) => Promise<F64>
  /** Round trip with the buffer transferred (main -> worker, and back where the library can). */
  readonly echoTransfer: ((array: F64) => Promise<F64>) | undefined
  readonly close: () => Promise<void>
}

export interface PromiseLib {
  readonly kind: "promise"
  readonly create: (params: Params) => PromisePool
  /** Notes for the report (what "map" or "transfer" means for this library). */
  readonly notes?: Partial<Record<ScenarioId, string>>
}

/** An Effect-based pool, as its users would drive it. */
export interface EffectPool {
  readonly inc: (x: number) => Effect.Effect<number, unknown>
  /**
   * Scenario 1a the way a promise-based pool is driven: one call per task that
   * returns a handle at once (no fiber each), every task submitted, then every
   * handle awaited. Without it, 1a runs `inc` in `Effect.forEach`.
   */
  readonly submitAll?: ((xs: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<number>, unknown>) | undefined
  readonly map: ((xs: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<number>, unknown>) | undefined
  /** Runs Inc over 0..n-1 read lazily, returns the sum of the results. */
  readonly stream: (n: number, window: number) => Effect.Effect<number, unknown>
  readonly spin: (iterations: number) => Effect.Effect<number, unknown>
  /** Scenario 2 through the library's map, if it has one: `count` CPU tasks, automatic chunking. */
  readonly spinMap?: ((count: number, iterations: number) => Effect.Effect<ReadonlyArray<number>, unknown>) | undefined
  readonly echo: (array: F64) => Effect.Effect<F64, unknown>
  readonly echoTransfer: ((array: F64) => Effect.Effect<F64, unknown>) | undefined
}

export interface EffectLib {
  readonly kind: "effect"
  /** Starts a pool, passes it to `f`, closes it when `f` is done. */
  readonly use: <A, E>(params: Params, f: (pool: EffectPool) => Effect.Effect<A, E>) => Effect.Effect<A, unknown>
  /** Like `use`, with workers that never poll for their next task while idle (measured beside the default in 3). */
  readonly useWithoutSpin?: EffectLib["use"] | undefined
  /**
   * How many tasks scenario 1a submits at once (and how many items scenario 6
   * keeps in flight): "unbounded" by default.
   */
  readonly inFlight?: ((params: Params) => number) | undefined
  readonly notes?: Partial<Record<ScenarioId, string>>
}

export type Lib = PromiseLib | EffectLib | { readonly kind: "serial"; readonly notes?: Partial<Record<ScenarioId, string>> }

export const SCENARIOS = [
  "tiny-run",
  "tiny-map",
  "cpu",
  "latency",
  "buffer-clone",
  "buffer-transfer",
  "startup",
  "stream"
] as const
export type ScenarioId = typeof SCENARIOS[number]

/** What one (library, scenario) process reports. */
export type CaseResult =
  | { readonly status: "ok"; readonly metrics: Record<string, number>; readonly note?: string | undefined }
  | { readonly status: "n/a"; readonly note: string }
  | { readonly status: "error"; readonly note: string }
