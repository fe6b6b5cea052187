import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { InvalidOptions, type SpawnError } from "../Errors.js"
import { cpuCount, type NodeWorkerPool } from "../layers/NodeWorkerPool.js"
import type { Core } from "./core.js"
import { makeNodeCore } from "./pool.js"
import * as Bundle from "./bundle.js"
import * as Spawn from "./spawn.js"

const Positive = Schema.Number.pipe(Schema.int(), Schema.positive())

const OptionsSchema = Schema.Struct({
  size: Schema.optional(Positive),
  concurrency: Schema.optional(Positive),
  maxQueue: Schema.optional(Schema.Union(Positive, Schema.Literal(Infinity))),
  spawnAttempts: Schema.optional(Positive),
  maxTasksPerWorker: Schema.optional(Schema.Union(Positive, Schema.Literal(Infinity))),
  maxHeapMb: Schema.optional(Schema.Number.pipe(Schema.positive()))
})

const durationMillis = (input: Duration.DurationInput | undefined, fallback: number, name: string) =>
  Effect.suspend(() => {
    if (input === undefined) return Effect.succeed(fallback)
    const decoded = Duration.decodeUnknown(input)
    // a timer waits at most 2^31 - 1 ms (about 24.8 days); Node fires a longer one at once
    return decoded._tag === "Some" && Duration.isFinite(decoded.value)
      ? Effect.succeed(Math.min(Duration.toMillis(decoded.value), 2_147_483_647))
      : Effect.fail(new InvalidOptions({ reason: `${name} must be a finite duration, got ${String(input)}` }))
  })

/** How long, at most, an idle worker thread polls for its next task while its pool has one in flight (`idleSpin`). */
const DEFAULT_IDLE_SPIN_MS = 0.1

/** Checks the options of a Node pool and starts its scheduler in the current scope. */
export const makeCore = (
  kind: "thread" | "process",
  options: NodeWorkerPool.Options
): Effect.Effect<
  { readonly core: Core; readonly scope: Scope.Scope; readonly size: number; readonly concurrency: number },
  SpawnError | InvalidOptions,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const checked = yield* Schema.decodeUnknown(OptionsSchema)(options, { onExcessProperty: "ignore" }).pipe(
      Effect.mapError((error) => new InvalidOptions({ reason: ParseResult.TreeFormatter.formatErrorSync(error) }))
    )
    if (typeof options.module !== "string" && !(options.module instanceof URL)) {
      return yield* new InvalidOptions({ reason: "module must be a path or a URL" })
    }
    if (kind === "process" && options.resourceLimits !== undefined) {
      return yield* new InvalidOptions({ reason: "resourceLimits apply to worker threads only" })
    }
    const idleSpinMicros = Math.round(
      1000 * (yield* durationMillis(options.idleSpin, kind === "thread" ? DEFAULT_IDLE_SPIN_MS : 0, "idleSpin"))
    )
    if (kind === "process" && idleSpinMicros > 0) {
      return yield* new InvalidOptions({ reason: "idleSpin applies to worker threads only (child processes take only 0)" })
    }
    if (
      options.bundle !== undefined && typeof options.bundle !== "boolean" &&
      (typeof options.bundle !== "object" || options.bundle === null)
    ) {
      return yield* new InvalidOptions({ reason: "bundle must be true, false or { cacheDir, external }" })
    }
    const size = checked.size ?? cpuCount
    const concurrency = checked.concurrency ?? 1
    const module = Spawn.toModuleUrl(options.module)
    const entry = options.bundle === undefined || options.bundle === false
      ? module
      : yield* Bundle.prepare(module, options.bundle === true ? {} : options.bundle)
    const core = yield* makeNodeCore({
      module,
      entry,
      kind,
      size,
      concurrency,
      maxQueue: checked.maxQueue ?? 10_000,
      interruptGraceMs: yield* durationMillis(options.interruptGrace, 1000, "interruptGrace"),
      spawnAttempts: checked.spawnAttempts ?? 3,
      spawnTimeoutMs: yield* durationMillis(options.spawnTimeout, 30_000, "spawnTimeout"),
      maxTasksPerWorker: checked.maxTasksPerWorker ?? Infinity,
      maxHeapBytes: checked.maxHeapMb === undefined ? undefined : checked.maxHeapMb * 1024 * 1024,
      idleSpinMicros,
      execArgv: options.execArgv ?? [],
      env: options.env,
      resourceLimits: options.resourceLimits
    })
    return { core, scope: yield* Effect.scope, size, concurrency }
  })