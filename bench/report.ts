/** Turns the collected results into bench/RESULTS.md. */
import type { LibInfo } from "./libs.js"
import { max, median, min } from "./stats.js"
import type { CaseResult, Params, ScenarioId } from "./types.js"

export interface RunInfo {
  readonly date: string
  readonly command: string
  readonly quick: boolean
  readonly repeats: number
  /** The CPU-bound scenario's repeats (more: see bench/run.ts). */
  readonly cpuRepeats: number
  readonly jobs: number
  readonly params: Params
  readonly machine: ReadonlyArray<readonly [string, string]>
  readonly versions: ReadonlyArray<readonly [string, string]>
  /** First start-up of each library that bundles its workers (the bundle built then), in ms. */
  readonly prepared?: Readonly<Record<string, number>> | undefined
  readonly durationSec: number
}

/** results[lib][scenario][repeat] */
export type Results = Record<string, Partial<Record<ScenarioId, Array<CaseResult>>>>

export const TITLES: Record<ScenarioId, string> = {
  "tiny-run": "1a. Tiny tasks (x + 1), one run per task, all submitted at once",
  "tiny-map": "1b. Tiny tasks (x + 1) through map, auto chunking",
  cpu: "2. CPU-bound tasks",
  latency: "3. Latency of sequential awaited tasks",
  "buffer-clone": "4a. 1 MiB Float64Array round trip, cloned",
  "buffer-transfer": "4b. 1 MiB Float64Array round trip, transferred",
  startup: "5. Start-up: pool creation to first result, and import time",
  stream: "6. Streaming items through the pool"
}

// ---------------------------------------------------------------------------
// formatting
// ---------------------------------------------------------------------------

const sig = (x: number): string => {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString("en-US")
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  return x.toFixed(3)
}

const int = (x: number): string => Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : String(x)

type Fmt = (x: number) => string

const cell = (xs: ReadonlyArray<number>, fmt: Fmt = sig): string => {
  if (xs.length === 0) return "—"
  if (xs.length === 1) return fmt(xs[0]!)
  return `${fmt(median(xs))} (${fmt(min(xs))}–${fmt(max(xs))})`
}

const escape = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** A Markdown table; `align` has one letter per column, "l" or "r" (default: first left, the rest right). */
const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  align?: string
): string =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`)
  ].join("\n")

// ---------------------------------------------------------------------------
// accessors
// ---------------------------------------------------------------------------

const oks = (results: Results, lib: string, scenario: ScenarioId) =>
  (results[lib]?.[scenario] ?? []).flatMap((r) => (r.status === "ok" ? [r] : []))

const values = (results: Results, lib: string, scenario: ScenarioId, metric: string): Array<number> =>
  oks(results, lib, scenario).flatMap((r) => (r.metrics[metric] !== undefined ? [r.metrics[metric]!] : []))

const med = (results: Results, lib: string, scenario: ScenarioId, metric: string): number | undefined => {
  const xs = values(results, lib, scenario, metric)
  return xs.length === 0 ? undefined : median(xs)
}

/** Serial time over the pool's time, both measured in the library's process (see drivers.ts). */
const speedups = (results: Results, lib: string): Array<number> => values(results, lib, "cpu", "speedup")

/** Why a library has no number for a scenario (n/a, error), or undefined if it has. */
const absence = (results: Results, lib: string, scenario: ScenarioId): string | undefined => {
  const all = results[lib]?.[scenario] ?? []
  if (all.length === 0) return "not run"
  if (all.some((r) => r.status === "ok")) return undefined
  const first = all[0]!
  return first.status === "n/a" ? `n/a: ${first.note}` : `error: ${first.status === "error" ? first.note.split("\n")[0] : ""}`
}

const noteOf = (results: Results, lib: string, scenario: ScenarioId): string => {
  const all = results[lib]?.[scenario] ?? []
  const errors = all.filter((r) => r.status === "error").length
  const note = all.find((r) => r.status === "ok")?.note ?? ""
  const parts = [note, errors > 0 && errors < all.length ? `${errors} of ${all.length} repeats failed` : ""]
  return escape(parts.filter((p) => p !== "").join("; "))
}

// ---------------------------------------------------------------------------
// sections
// ---------------------------------------------------------------------------

interface Column {
  readonly header: string
  readonly scenario: ScenarioId
  readonly get: (results: Results, lib: string) => Array<number>
  readonly fmt?: Fmt
}

const metric = (scenario: ScenarioId, name: string) => (results: Results, lib: string) =>
  values(results, lib, scenario, name)

const SUMMARY: ReadonlyArray<Column> = [
  { header: "1a tasks/s", scenario: "tiny-run", get: metric("tiny-run", "tasksPerSec"), fmt: int },
  { header: "1b map tasks/s", scenario: "tiny-map", get: metric("tiny-map", "tasksPerSec"), fmt: int },
  { header: "2 CPU speedup", scenario: "cpu", get: speedups, fmt: (x) => `${x.toFixed(2)}x` },
  { header: "3 latency median µs", scenario: "latency", get: metric("latency", "medianUs"), fmt: int },
  { header: "3 latency p99 µs", scenario: "latency", get: metric("latency", "p99Us"), fmt: int },
  { header: "4a clone ms", scenario: "buffer-clone", get: metric("buffer-clone", "roundTripMs") },
  { header: "4b transfer ms", scenario: "buffer-transfer", get: metric("buffer-transfer", "roundTripMs") },
  { header: "5 first result ms", scenario: "startup", get: metric("startup", "firstResultMs") },
  { header: "5 import ms", scenario: "startup", get: metric("startup", "importMs") },
  { header: "6 stream items/s", scenario: "stream", get: metric("stream", "itemsPerSec"), fmt: int },
  { header: "6 peak RSS growth MiB", scenario: "stream", get: metric("stream", "rssGrowthMiB") }
]

const DETAILS: Record<ScenarioId, ReadonlyArray<Column>> = {
  "tiny-run": [
    { header: "tasks/s", scenario: "tiny-run", get: metric("tiny-run", "tasksPerSec"), fmt: int },
    { header: "total ms", scenario: "tiny-run", get: metric("tiny-run", "ms") },
    {
      header: "`run` in a forEach, tasks/s",
      scenario: "tiny-run",
      get: metric("tiny-run", "runTasksPerSec"),
      fmt: int
    }
  ],
  "tiny-map": [
    { header: "tasks/s", scenario: "tiny-map", get: metric("tiny-map", "tasksPerSec"), fmt: int },
    { header: "total ms", scenario: "tiny-map", get: metric("tiny-map", "ms") }
  ],
  cpu: [
    { header: "pool ms", scenario: "cpu", get: metric("cpu", "ms") },
    { header: "serial ms (same process)", scenario: "cpu", get: metric("cpu", "serialMs") },
    { header: "speedup over serial", scenario: "cpu", get: speedups, fmt: (x) => `${x.toFixed(2)}x` },
    { header: "`map` ms", scenario: "cpu", get: metric("cpu", "mapMs") },
    {
      header: "`map` speedup",
      scenario: "cpu",
      get: metric("cpu", "speedupMap"),
      fmt: (x) => `${x.toFixed(2)}x`
    }
  ],
  latency: [
    { header: "median µs", scenario: "latency", get: metric("latency", "medianUs"), fmt: int },
    { header: "p99 µs", scenario: "latency", get: metric("latency", "p99Us"), fmt: int },
    { header: "median µs, `idleSpin: 0`", scenario: "latency", get: metric("latency", "medianUsNoSpin"), fmt: int },
    { header: "p99 µs, `idleSpin: 0`", scenario: "latency", get: metric("latency", "p99UsNoSpin"), fmt: int }
  ],
  "buffer-clone": [
    { header: "round trip ms (median)", scenario: "buffer-clone", get: metric("buffer-clone", "roundTripMs") },
    { header: "round trip ms (p99)", scenario: "buffer-clone", get: metric("buffer-clone", "p99Ms") }
  ],
  "buffer-transfer": [
    { header: "round trip ms (median)", scenario: "buffer-transfer", get: metric("buffer-transfer", "roundTripMs") },
    { header: "round trip ms (p99)", scenario: "buffer-transfer", get: metric("buffer-transfer", "p99Ms") }
  ],
  startup: [
    { header: "creation to first result ms", scenario: "startup", get: metric("startup", "firstResultMs") },
    { header: "import ms", scenario: "startup", get: metric("startup", "importMs") }
  ],
  stream: [
    { header: "items/s", scenario: "stream", get: metric("stream", "itemsPerSec"), fmt: int },
    { header: "total ms", scenario: "stream", get: metric("stream", "ms") },
    { header: "peak RSS growth MiB", scenario: "stream", get: metric("stream", "rssGrowthMiB") }
  ]
}

const SCENARIO_TEXT = (p: Params): Record<ScenarioId, string> => ({
  "tiny-run": `${int(p.tinyN)} tasks computing x + 1, every one submitted at once (one run/exec/execute call per task), after a warm-up. Higher is better. effect-parallel: one \`pool.submit\` per task (it returns a Job at once, as a promise-based pool returns a promise), then every Job awaited; its \`run\` in an unbounded \`Effect.forEach\` (a fiber per task, Effect's own floor) is the last column.`,
  "tiny-map": `The same ${int(p.tinyN)} items through the library's map with automatic chunking. Peers without a map operation are n/a (1a is their closest equivalent); the hand-written baseline chunks by hand.`,
  cpu: `${p.cpuTasks} tasks of ~${p.cpuMillis} ms of CPU each (${int(p.spinIterations)} iterations, calibrated on this machine), all submitted at once. Speedup = serial time / pool time, with the serial time measured in the same process (the same tasks run on the main thread just before and just after the pool's run, their mean), so that both see the same machine load; the ideal is the number of workers (${p.size}). effect-parallel: \`run\` in an unbounded \`Effect.forEach\` (a fiber per task); the same tasks through \`pool.map\` with automatic chunking, against serial runs just before and after it, are the last columns.`,
  latency: `${int(p.latencyN)} tasks (x + 1), each awaited before the next is sent, after ${int(p.latencyWarmup)} warm-up tasks. Lower is better. effect-parallel threads polls by default (\`idleSpin\`: a worker that has replied, while the pool has one task in flight, polls for its next task for up to 100 µs before it sleeps); it also runs it in a second pool with \`idleSpin: 0\`, whose workers sleep at once (the last two columns).`,
  "buffer-clone": `A ${int(p.bufferBytes / 8)}-element Float64Array (${int(p.bufferBytes)} bytes) sent to a worker, touched and sent back, structured-cloned both ways; ${p.bufferN} sequential round trips, median per round trip. Lower is better. Serial: two in-process structuredClone calls (the copying floor).`,
  "buffer-transfer": `The same round trip with the buffer transferred (moved, not copied) where the library can; the array coming back is the one sent next.`,
  startup: `In a fresh process: the time to import the library (dynamic import(), before anything else is loaded), then the time from creating the pool to the first result of one tiny task. Lower is better.`,
  stream: `${int(p.streamN)} items (x + 1) read lazily from a generator, results folded as they arrive. effect-parallel: pool.stream; promise-based peers: a loop keeping ${p.streamWindow} calls in flight (the closest simple equivalent); @effect/platform: Stream.mapEffect with concurrency 2 × size. Peak RSS growth = growth of the process's maxRSS during the stream (worker threads included; child processes' own memory is not).`
})

const target = (
  label: string,
  value: number | undefined,
  goal: string,
  met: (v: number) => boolean,
  fmt: Fmt,
  how: string
): ReadonlyArray<string> =>
  value === undefined || !Number.isFinite(value)
    ? [label, "—", goal, "no data", how]
    : [label, fmt(value), goal, met(value) ? "yes" : "**no**", how]

const targets = (results: Results): string => {
  const ep = "effect-parallel-threads"
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b
  const poolifierBest = Math.max(
    med(results, "poolifier", "tiny-run", "tasksPerSec") ?? NaN,
    med(results, "poolifier", "tiny-map", "tasksPerSec") ?? NaN
  )
  const epTransfer = med(results, ep, "buffer-transfer", "roundTripMs")
  const epBuffer = epTransfer ?? med(results, ep, "buffer-clone", "roundTripMs")
  const speedup = speedups(results, ep)
  const x = (v: number) => `${v.toFixed(2)}x`
  const rows = [
    target(
      "map of tiny items vs poolifier",
      ratio(med(results, ep, "tiny-map", "tasksPerSec"), Number.isNaN(poolifierBest) ? undefined : poolifierBest),
      "≥ 10x",
      (v) => v >= 10,
      x,
      "effect-parallel 1b tasks/s ÷ poolifier's best tasks/s (1a or 1b)"
    ),
    target(
      "one run per tiny task vs poolifier",
      ratio(med(results, ep, "tiny-run", "tasksPerSec"), med(results, "poolifier", "tiny-run", "tasksPerSec")),
      "≥ 1x",
      (v) => v >= 1,
      x,
      "effect-parallel 1a tasks/s (a `submit` per task) ÷ poolifier 1a tasks/s"
    ),
    target(
      "one run per tiny task, a fiber each, vs poolifier",
      ratio(med(results, ep, "tiny-run", "runTasksPerSec"), med(results, "poolifier", "tiny-run", "tasksPerSec")),
      "(≥ 1x)",
      (v) => v >= 1,
      x,
      "effect-parallel 1a `run` in `Effect.forEach` unbounded ÷ poolifier 1a: bounded by Effect's fiber per task, shown for honesty"
    ),
    target(
      "CPU speedup over serial",
      med(results, ep, "cpu", "speedupMap"),
      "≥ 1.95x",
      (v) => v >= 1.95,
      x,
      "scenario 2, effect-parallel threads: the 32 tasks through `pool.map` (chunkSize \"auto\": 4 chunks per worker), the parallel map of the seeds' `Pool.map`"
    ),
    target(
      "CPU speedup over serial, a fiber per task",
      speedup.length === 0 ? undefined : median(speedup),
      "(≥ 1.95x)",
      (v) => v >= 1.95,
      x,
      "the same tasks with `run` in `Effect.forEach` unbounded: bounded by Effect's fiber per task on the main thread, shown for honesty"
    ),
    target(
      "latency median vs piscina",
      ratio(med(results, ep, "latency", "medianUs"), med(results, "piscina", "latency", "medianUs")),
      "≤ 1x",
      (v) => v <= 1,
      x,
      "effect-parallel median ÷ piscina median"
    ),
    target(
      "latency median with `idleSpin: 0` vs piscina",
      ratio(med(results, ep, "latency", "medianUsNoSpin"), med(results, "piscina", "latency", "medianUs")),
      "(≤ 1x)",
      (v) => v <= 1,
      x,
      "the same with idle workers that never poll for their next task (`idleSpin: 0`; by default they poll up to 100 µs)"
    ),
    target(
      "1 MiB round trip vs hand-written transfer",
      ratio(epBuffer, med(results, "hand-written", "buffer-transfer", "roundTripMs")),
      "≤ 1.5x",
      (v) => v <= 1.5,
      x,
      epTransfer === undefined
        ? "effect-parallel **cloned** (4a; no transfer measured) ÷ hand-written transferred (4b)"
        : "effect-parallel transferred ÷ hand-written transferred (4b)"
    ),
    target(
      "1 MiB round trip cloned vs hand-written cloned",
      ratio(med(results, ep, "buffer-clone", "roundTripMs"), med(results, "hand-written", "buffer-clone", "roundTripMs")),
      "≤ 1.2x",
      (v) => v <= 1.2,
      x,
      "effect-parallel cloned ÷ hand-written cloned (4a)"
    ),
    target(
      "start-up vs @effect/platform pool",
      ratio(med(results, ep, "startup", "firstResultMs"), med(results, "effect-platform", "startup", "firstResultMs")),
      "≤ 0.5x",
      (v) => v <= 0.5,
      x,
      "creation to first result, effect-parallel threads ÷ @effect/platform pool"
    )
  ]
  return table(["target", "value", "goal", "met?", "how"], rows, "lrrll")
}

export const render = (
  info: RunInfo,
  libs: ReadonlyArray<LibInfo>,
  scenarios: ReadonlyArray<ScenarioId>,
  results: Results
): string => {
  const text = SCENARIO_TEXT(info.params)
  const rowsOf = (columns: ReadonlyArray<Column>, withNote: boolean) =>
    libs.map((lib) => {
      const cells = columns.map((column) => {
        const xs = column.get(results, lib.id)
        if (xs.length > 0) return cell(xs, column.fmt)
        const why = absence(results, lib.id, column.scenario)
        return why === undefined ? "—" : why.startsWith("n/a") ? "n/a" : why.startsWith("error") ? "error" : "—"
      })
      if (!withNote) return [lib.label, ...cells]
      const scenario = columns[0]!.scenario
      const why = absence(results, lib.id, scenario)
      return [lib.label, ...cells, why !== undefined ? escape(why) : noteOf(results, lib.id, scenario)]
    })

  const out: Array<string> = []
  out.push("# Benchmark results")
  out.push("")
  out.push(
    info.quick
      ? "**Quick mode** (tiny sizes, one repeat): a smoke run, the numbers mean nothing."
      : `Medians over ${info.repeats} repeats (the CPU-bound scenario: ${info.cpuRepeats}), with the min–max range in parentheses.`
  )
  out.push("")
  out.push(`- Command: \`${info.command}\``)
  out.push(`- Date: ${info.date}, run time ${Math.round(info.durationSec)} s`)
  out.push(
    `- Every (library, scenario) pair runs in its own fresh Node process (\`node --expose-gc\`), ${
      info.jobs === 1 ? "one process at a time" : `**${info.jobs} processes at a time** (timings disturbed)`
    }, ${info.repeats} repeat(s) (the CPU-bound scenario: ${info.cpuRepeats}, as its speedup moves by several hundredths from one process to the next for every library); the library order is shuffled for every scenario of every repeat.`
  )
  out.push(`- Pool size: ${info.params.size} workers (os.availableParallelism()) for every library.`)
  out.push(
    "- Everything runs as plain JavaScript transpiled from src/ and bench/ by the harness (no TypeScript loader in the measured processes or workers)."
  )
  out.push("")
  out.push("## Machine")
  out.push("")
  out.push(table(["", ""], info.machine.map(([k, v]) => [k, escape(v)]), "ll"))
  out.push("")
  out.push("## Versions")
  out.push("")
  out.push(table(["package", "version"], info.versions.map(([k, v]) => [k, escape(v)]), "ll"))
  out.push("")
  out.push("## Summary")
  out.push("")
  out.push(table(["library", ...SUMMARY.map((c) => c.header)], rowsOf(SUMMARY, false)))
  out.push("")
  out.push("n/a: the library has no such operation (see the scenario's table).")
  out.push("")
  out.push("## Targets")
  out.push("")
  out.push("effect-parallel (threads) against the goals of the project, from the medians above.")
  out.push("")
  out.push(targets(results))
  out.push("")
  out.push("## Scenarios")
  for (const scenario of scenarios) {
    out.push("")
    out.push(`### ${TITLES[scenario]}`)
    out.push("")
    out.push(text[scenario])
    const prepared = Object.entries(info.prepared ?? {})
    if (scenario === "startup" && prepared.length > 0) {
      out.push("")
      out.push(
        `effect-parallel starts its workers from a bundle of the worker module (\`bundle\` option), built by the first pool after any change and reused by every later one. The harness runs one start of each before the repeats; the repeats measure starts that reuse the bundle. Those first starts, in order: ${
          prepared.map(([id, ms], i) =>
            `${libs.find((lib) => lib.id === id)?.label ?? id} ${sig(ms)} ms (${i === 0 ? "bundle built" : "bundle reused"})`
          ).join(", ")
        }.`
      )
    }
    out.push("")
    const columns = DETAILS[scenario]
    out.push(
      table(["library", ...columns.map((c) => c.header), "notes"], rowsOf(columns, true), `l${"r".repeat(columns.length)}l`)
    )
  }
  out.push("")
  out.push("## Parameters")
  out.push("")
  out.push("```json")
  out.push(JSON.stringify(info.params, null, 2))
  out.push("```")
  out.push("")
  return out.join("\n")
}
