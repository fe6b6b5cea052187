/**
 * The benchmark harness: `npm run bench` (or `npm run bench -- --quick`).
 *
 * Transpiles src/ and bench/ to bench/.build/<run>/, calibrates the CPU task,
 * then runs every (library, scenario) pair in its own fresh Node process,
 * `--repeats` times with the library order shuffled each time, and writes the
 * medians and ranges to bench/RESULTS.md (and the raw results beside it, .json).
 *
 * Options:
 *   --quick               tiny sizes, one repeat (the smoke test's mode)
 *   --repeats N           repeats (default 3; quick: 1)
 *   --out FILE            the report (default bench/RESULTS.md)
 *   --libs a,b            only these libraries (ids as in bench/libs.ts)
 *   --scenarios x,y       only these scenarios (ids as in bench/types.ts)
 *   --src-ref REF         benchmark src/ as of this git revision instead of the working tree
 *   --timeout SECONDS     per process (default 300; quick: 60)
 *   --jobs N              processes at once (default 1; quick: 2). Timings need 1.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "./build.js"
import { LIBS, type LibInfo } from "./libs.js"
import { render, type Results, type RunInfo } from "./report.js"
import { type CaseResult, type Params, SCENARIOS, type ScenarioId } from "./types.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const argv = process.argv.slice(2)

const flag = (name: string) => argv.includes(name)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  if (i === -1) return undefined
  const value = argv[i + 1]
  if (value === undefined) throw new Error(`${name} needs a value`)
  return value
}

const quick = flag("--quick")
const repeats = Number(option("--repeats") ?? (quick ? 1 : 3))
/**
 * The CPU-bound scenario runs this many times as many repeats: its speedup moves by several hundredths from one
 * process to the next for every library (how fast each thread runs the same loop varies from process to process on
 * this VM), more than its differences between the pools; three repeats leave its median to chance.
 */
const CPU_REPEAT_FACTOR = quick ? 1 : 3
const repeatsOf = (scenario: ScenarioId): number => scenario === "cpu" ? repeats * CPU_REPEAT_FACTOR : repeats
const out = path.resolve(option("--out") ?? path.join(root, "bench", "RESULTS.md"))
const srcRefOption = option("--src-ref")
const timeoutMs = Number(option("--timeout") ?? (quick ? 60 : 300)) * 1000
const jobs = Math.max(1, Number(option("--jobs") ?? (quick ? 2 : 1)))
const onlyLibs = option("--libs")?.split(",")
const onlyScenarios = option("--scenarios")?.split(",")

const libs = LIBS.filter((lib) => onlyLibs === undefined || onlyLibs.includes(lib.id))
const scenarios = SCENARIOS.filter((s) => onlyScenarios === undefined || onlyScenarios.includes(s))
if (libs.length === 0 || scenarios.length === 0) throw new Error("no library or no scenario selected")

const size = os.availableParallelism()

const git = (args: ReadonlyArray<string>): string => {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return "unknown"
  }
}

// Resolved now: the benchmarked src/ must not move if HEAD does during the run.
const srcRef = srcRefOption === undefined ? undefined : git(["rev-parse", "--verify", `${srcRefOption}^{commit}`])
if (srcRef === "unknown") throw new Error(`--src-ref ${srcRefOption}: no such git revision`)
const headAtStart = git(["rev-parse", "--short", "HEAD"])
const srcDirtyAtStart = srcRef === undefined && git(["status", "--porcelain", "--", "src"]) !== ""

const baseParams = (spinIterations: number, cpuMillis: number): Params =>
  quick
    ? {
      size,
      tinyN: 1_000,
      cpuTasks: 4,
      spinIterations,
      cpuMillis,
      latencyN: 100,
      latencyWarmup: 10,
      bufferBytes: 1 << 20,
      bufferN: 5,
      streamN: 2_000,
      streamWindow: 256
    }
    : {
      size,
      tinyN: 100_000,
      cpuTasks: 32,
      spinIterations,
      cpuMillis,
      latencyN: 10_000,
      latencyWarmup: 500,
      bufferBytes: 1 << 20,
      bufferN: 200,
      streamN: 1_000_000,
      streamWindow: 256
    }

const log = (message: string) => process.stderr.write(`${message}\n`)

const MARK = "@@RESULT "

/** Runs one fresh Node process and returns its CaseResult. */
const runCase = (caseJs: string, args: ReadonlyArray<string>): Promise<CaseResult> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", caseJs, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((l) => l.startsWith(MARK))
      if (timedOut) return resolve({ status: "error", note: `timed out after ${timeoutMs / 1000} s` })
      if (line !== undefined) {
        const result = JSON.parse(line.slice(MARK.length)) as CaseResult
        if (result.status === "error") log(`    ${result.note.split("\n").slice(0, 6).join("\n    ")}`)
        return resolve(result)
      }
      const tail = stderr.trim().split("\n").slice(-5).join(" / ")
      resolve({ status: "error", note: `exited with ${signal ?? `code ${code}`} and no result: ${tail}` })
    })
  })

const shuffle = <A>(xs: ReadonlyArray<A>): Array<A> => {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

const readVersion = (pkg: string): string => {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "node_modules", pkg, "package.json"), "utf8")).version
  } catch {
    return "not installed"
  }
}

const sh = (cmd: string, args: ReadonlyArray<string>): string => {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return "unknown"
  }
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(", ")
const loadAtStart = loadavg()
/** The highest 1-minute load average seen before a pair started. */
let maxLoad = 0

const machine = (): Array<readonly [string, string]> => {
  let model = os.cpus()[0]?.model ?? "unknown"
  try {
    const line = fs.readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"))
    if (line !== undefined) model = line.split(":")[1]!.trim()
  } catch {
    // not Linux: keep os.cpus()
  }
  return [
    ["CPU model", model],
    ["nproc", sh("nproc", [])],
    ["os.availableParallelism()", String(size)],
    ["memory", `${Math.round(os.totalmem() / 2 ** 30)} GiB`],
    ["OS", `${os.type()} ${os.release()} ${os.arch()}`],
    ["Node", process.version],
    ["load average (1, 5, 15 min) at start / end", `${loadAtStart} / ${loadavg()}`],
    ["highest 1-min load average before a pair (the benchmark itself adds ~2-3)", maxLoad.toFixed(2)]
  ]
}

const versions = (): Array<readonly [string, string]> => {
  const self = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version as string
  const source = srcRef !== undefined
    ? `src/ at ${srcRefOption} = ${srcRef.slice(0, 7)} (git show, resolved at the start)`
    : `src/ of the working tree at ${headAtStart}${srcDirtyAtStart ? " with uncommitted changes" : ""} (at the start)`
  return [
    ["effect-parallel", `${self}, ${source}`],
    ...["effect", "@effect/platform", "@effect/platform-node", "piscina", "tinypool", "workerpool", "poolifier"].map(
      (pkg) => [pkg, readVersion(pkg)] as const
    )
  ]
}

const command = (): string => {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ")
  if (process.env["npm_lifecycle_event"] === "bench") return `npm run bench${args === "" ? "" : ` -- ${args}`}`
  return `node --import tsx bench/run.ts${args === "" ? "" : ` ${args}`}`
}

const main = async () => {
  const started = performance.now()
  const buildDir = path.join(root, "bench", ".build", `run-${process.pid}-${Date.now()}`)
  fs.mkdirSync(buildDir, { recursive: true })
  try {
    build({ root, outDir: buildDir, srcRef })
    const caseJs = path.join(buildDir, "bench", "case.js")

    const cpuMillis = quick ? 5 : 20
    const calibration = await runCase(caseJs, ["--calibrate", String(cpuMillis)])
    const spinIterations = (calibration as unknown as { iterations?: number }).iterations
    if (spinIterations === undefined) throw new Error(`calibration failed: ${JSON.stringify(calibration)}`)
    const params = baseParams(spinIterations, cpuMillis)
    log(
      `bench: ${libs.length} libraries x ${scenarios.length} scenarios x ${repeats} repeats (cpu: ${
        repeatsOf("cpu")
      }), ${size} workers, ${jobs} process(es) at a time`
    )
    log(`bench: CPU task = ${spinIterations} iterations (~${cpuMillis} ms)`)

    // the first start-up of a bundling library builds its bundle: done here, once, and reported apart
    const prepared: Record<string, number> = {}
    for (const lib of libs) {
      if (lib.prepare !== true || !scenarios.includes("startup")) continue
      const result = await runCase(caseJs, [lib.id, "startup", JSON.stringify(params)])
      if (result.status === "ok" && result.metrics["firstResultMs"] !== undefined) {
        prepared[lib.id] = result.metrics["firstResultMs"]
      }
      log(`bench: prepared ${lib.id}: ${JSON.stringify(result.status === "ok" ? result.metrics : result)}`)
    }

    const results: Results = {}
    const cases: Array<{ readonly repeat: number; readonly scenario: ScenarioId; readonly lib: LibInfo }> = []
    for (let repeat = 0; repeat < repeats * CPU_REPEAT_FACTOR; repeat++) {
      for (const scenario of scenarios) {
        if (repeat >= repeatsOf(scenario)) continue
        for (const lib of shuffle(libs)) cases.push({ repeat, scenario, lib })
      }
    }
    let next = 0
    const worker = async () => {
      while (next < cases.length) {
        const { lib, repeat, scenario } = cases[next++]!
        const na = lib.na?.[scenario]
        if (na === undefined) maxLoad = Math.max(maxLoad, os.loadavg()[0]!)
        const result: CaseResult = na !== undefined
          ? { status: "n/a", note: na }
          : await runCase(caseJs, [lib.id, scenario, JSON.stringify({ ...params, ...lib.params?.(params) })])
        ;((results[lib.id] ??= {})[scenario] ??= [])[repeat] = result
        if (na !== undefined) continue
        const summary = result.status === "ok"
          ? Object.entries(result.metrics).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(" ")
          : `${result.status}: ${result.note.split("\n")[0]}`
        log(`[${repeat + 1}/${repeatsOf(scenario)}] ${scenario} ${lib.id}: ${summary}`)
      }
    }
    await Promise.all(Array.from({ length: jobs }, worker))

    const info: RunInfo = {
      date: new Date().toISOString(),
      command: command(),
      quick,
      repeats,
      cpuRepeats: repeatsOf("cpu"),
      jobs,
      params,
      machine: machine(),
      versions: versions(),
      prepared,
      durationSec: (performance.now() - started) / 1000
    }
    fs.mkdirSync(path.dirname(out), { recursive: true })
    // the hand-kept log of optimisations and their measured effect goes with every report
    const optimisationsFile = path.join(root, "bench", "OPTIMISATIONS.md")
    const optimisations = fs.existsSync(optimisationsFile) ? `\n${fs.readFileSync(optimisationsFile, "utf8")}` : ""
    fs.writeFileSync(out, render(info, libs, scenarios, results) + optimisations)
    fs.writeFileSync(out.replace(/\.md$/, "") + ".json", JSON.stringify({ info, results }, null, 2) + "\n")
    log(`bench: wrote ${path.relative(process.cwd(), out)} in ${Math.round(info.durationSec)} s`)
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error))
  process.exitCode = 1
})
