import * as ChildProcess from "node:child_process"
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import * as WorkerThreads from "node:worker_threads"
import * as IdleSpin from "./idleSpin.js"
import type { WorkerConfig } from "./runner.js"

export type Kind = "thread" | "process"
export type RawWorker = WorkerThreads.Worker | ChildProcess.ChildProcess

export interface SpawnConfig extends WorkerConfig {
  readonly tsx: string | undefined
  /** What the worker imports: the module itself, or its bundle. */
  readonly entry: string
}

export interface SpawnOptions {
  readonly kind: Kind
  readonly config: SpawnConfig
  readonly execArgv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>> | undefined
  readonly resourceLimits: WorkerThreads.ResourceLimits | undefined
}

const ENV_KEY = "EFFECT_PARALLEL_WORKER"

// Plain JavaScript, so that it loads on Node 20 without any loader: it registers tsx only for
// TypeScript modules, imports the worker module and serves its default-exported TaskRunner.
// Any failure before serving is reported to the pool as a boot failure.
const bootstrap = `
const wt = require("node:worker_threads");
const config = wt.parentPort ? wt.workerData.effectParallel : JSON.parse(process.env.${ENV_KEY});
if (!wt.parentPort) {
  delete process.env.${ENV_KEY};
  process.on("disconnect", () => process.exit());
  // a worker thread's uncaught error reaches the pool as an "error" event; a process tells it itself
  process.on("uncaughtException", (error) => {
    const reason = error instanceof Error && error.stack ? error.stack : String(error);
    process.stderr.write("Uncaught " + reason + "\\n");
    process.exitCode = 1;
    try { process.send([1, [2, reason]], () => process.exit(1)); } catch { process.exit(1); }
  });
}
const report = (reason) => {
  const message = [1, [1, reason]];
  process.exitCode = 1;
  if (wt.parentPort) { wt.parentPort.postMessage(message); wt.parentPort.close(); }
  else process.send(message, () => process.disconnect());
};
(async () => {
  if (config.tsx) {
    const api = await import(config.tsx);
    api.register();
  }
  const mod = await import(config.entry);
  const runner = mod.default;
  const serve = runner == null ? undefined : runner[Symbol.for("effect-parallel/TaskRunner/serve")];
  if (typeof serve !== "function") {
    throw new Error("the worker module " + config.module + " does not default-export a TaskRunner (made with TaskRunner.make)");
  }
  serve(config);
})().catch((error) => report(error instanceof Error && error.stack ? error.stack : String(error)));
`

let tsxApi: string | undefined
const resolveTsx = (): string => {
  if (tsxApi === undefined) {
    const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve
    // under some test runners import.meta.resolve is missing: take the ESM entry beside the CJS one
    tsxApi = typeof resolve === "function"
      ? resolve("tsx/esm/api")
      : pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href
  }
  return tsxApi
}

export const needsTsx = (module: string): boolean => /\.(c|m)?tsx?$/.test(new URL(module).pathname)

export const toModuleUrl = (module: string | URL): string => {
  if (module instanceof URL) return module.href
  return /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
    ? new URL(module).href
    : pathToFileURL(module).href
}

/** The config of a worker with its own flag among those of the workers that may spin (see IdleSpin.acquireSlot). */
export const withActivitySlot = (config: SpawnConfig, activitySlot: number): SpawnConfig =>
  activitySlot < 0 ? config : { ...config, activitySlot }

export const makeConfig = (
  module: string,
  entry: string,
  concurrency: number,
  maxHeapBytes: number | undefined,
  idleSpinMicros: number
): SpawnConfig => ({
  module,
  entry,
  concurrency,
  maxHeapBytes,
  idleSpinMicros,
  // shared by worker threads only (a child process's config goes through JSON)
  activity: IdleSpin.activityOf(idleSpinMicros),
  activitySlot: -1,
  sequential: IdleSpin.makeSequential(idleSpinMicros),
  tsx: needsTsx(entry) ? resolveTsx() : undefined
})

export const spawn = (options: SpawnOptions): RawWorker => {
  if (options.kind === "thread") {
    return new WorkerThreads.Worker(bootstrap, {
      eval: true,
      workerData: { effectParallel: options.config },
      execArgv: [...options.execArgv],
      ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
      ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {})
    })
  }
  return ChildProcess.spawn(process.execPath, [...options.execArgv, "-e", bootstrap], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    serialization: "advanced",
    env: { ...process.env, ...options.env, [ENV_KEY]: JSON.stringify(options.config) }
  })
}

export const isThread = (raw: RawWorker): raw is WorkerThreads.Worker => "postMessage" in raw

/** Posts a message to a worker; throws if it cannot be cloned. Child processes copy instead of transferring. */
export const post = (raw: RawWorker, message: unknown, transfers: ReadonlyArray<unknown> | undefined): void => {
  if (isThread(raw)) raw.postMessage(message, transfers as Array<WorkerThreads.TransferListItem> | undefined)
  else raw.send(message as ChildProcess.Serializable)
}

export const kill = (raw: RawWorker): void => {
  if (isThread(raw)) {
    void raw.terminate()
  } else {
    raw.kill("SIGKILL")
  }
}
