/**
 * One (library, scenario) pair, in a fresh process:
 *
 *   node --expose-gc bench/.build/<run>/bench/case.js <library> <scenario> '<params json>'
 *   node bench/.build/<run>/bench/case.js --calibrate <millis>
 *
 * Prints one line `@@RESULT <json>` (a CaseResult) on stdout. Nothing but
 * node: is imported statically, so that "startup" can time the library's
 * import in a process that has not loaded it yet.
 */
import type { CaseResult, Params, ScenarioId } from "./types.js"

const MARK = "@@RESULT "

const print = (result: unknown) => {
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`)
}

const calibrate = async (millis: number): Promise<number> => {
  const { spin } = await import("./work.js")
  const { median } = await import("./stats.js")
  for (let i = 0; i < 5; i++) spin(1_000_000)
  let iterations = 1_000_000
  for (let round = 0; round < 4; round++) {
    const samples: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      spin(iterations)
      samples.push(performance.now() - t)
    }
    iterations = Math.max(1000, Math.round((iterations * millis) / median(samples)))
  }
  return iterations
}

const main = async (): Promise<void> => {
  const [first, second, third] = process.argv.slice(2)
  if (first === "--calibrate") {
    print({ iterations: await calibrate(Number(second)) })
    return
  }
  const libId = first!
  const scenario = second as ScenarioId
  const params = JSON.parse(third!) as Params
  const { LIBS } = await import("./libs.js")
  const info = LIBS.find((lib) => lib.id === libId)
  if (info === undefined) throw new Error(`unknown library ${libId}`)

  let importMs: number | undefined
  if (scenario === "startup" && info.imports.length > 0) {
    const specifiers = info.imports.map((s) => s.startsWith(".") ? new URL(s, import.meta.url).href : s)
    const t = performance.now()
    for (const specifier of specifiers) await import(specifier)
    importMs = performance.now() - t
  }

  const lib = await info.load()
  const drivers = await import("./drivers.js")
  let result: CaseResult
  switch (lib.kind) {
    case "serial":
      result = drivers.runSerial(scenario, params)
      break
    case "promise":
      result = await drivers.runPromise(lib, scenario, params)
      break
    case "effect":
      result = await drivers.runEffect(lib, scenario, params)
      break
  }
  if (result.status === "ok" && importMs !== undefined) {
    result = { ...result, metrics: { ...result.metrics, importMs } }
  }
  const note = lib.notes?.[scenario]
  if (note !== undefined && result.status === "ok" && result.note === undefined) result = { ...result, note }
  print(result)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    print({ status: "error", note: error instanceof Error ? error.stack ?? error.message : String(error) })
    process.exit(1)
  }
)
