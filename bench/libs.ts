/** The libraries compared: ids, labels, what their import measures, and how to load their adapter. */
import type { Lib, Params, ScenarioId } from "./types.js"

export interface LibInfo {
  readonly id: string
  readonly label: string
  /** npm packages whose versions the report lists. */
  readonly packages: ReadonlyArray<string>
  /** What "import time" imports, relative to bench/ for local files. */
  readonly imports: ReadonlyArray<string>
  readonly load: () => Promise<Lib>
  /** Parameters changed for this library (with a note in the report saying so). */
  readonly params?: (params: Params) => Partial<Params>
  /**
   * Run its start-up once, unmeasured, before the repeats: effect-parallel builds its worker bundle
   * then, as the first start after any change does; the repeats measure the starts that reuse it.
   */
  readonly prepare?: boolean
  /** Scenarios the library has no operation for, with the reason: reported n/a without starting a process. */
  readonly na?: Partial<Record<ScenarioId, string>>
}

const PROCESS_COPIES = "child processes cannot transfer: the buffer is copied (4a)"

export const LIBS: ReadonlyArray<LibInfo> = [
  {
    id: "effect-parallel-threads",
    label: "effect-parallel (threads)",
    packages: ["effect", "@effect/platform", "@effect/platform-node"],
    imports: ["../src/index.js"],
    prepare: true,
    load: async () => (await import("./libs/effect-parallel.js")).make("thread")
  },
  {
    id: "effect-parallel-processes",
    label: "effect-parallel (processes)",
    packages: [],
    imports: ["../src/index.js"],
    prepare: true,
    load: async () => (await import("./libs/effect-parallel.js")).make("process"),
    na: { "buffer-transfer": PROCESS_COPIES }
  },
  {
    id: "effect-platform",
    label: "@effect/platform pool",
    packages: [],
    imports: ["@effect/platform/Worker", "@effect/platform-node/NodeWorker"],
    load: async () => (await import("./libs/effect-platform.js")).lib,
    // ~3,500 items/s: a million items would take ~5 minutes per repeat
    params: (params) => ({ streamN: Math.ceil(params.streamN / 10) }),
    na: { "tiny-map": "no map operation (1a is its closest equivalent)" }
  },
  {
    id: "piscina",
    label: "piscina",
    packages: ["piscina"],
    imports: ["piscina"],
    load: async () => (await import("./libs/piscina.js")).lib,
    na: { "tiny-map": "no map operation (1a is its closest equivalent)" }
  },
  {
    id: "tinypool",
    label: "tinypool",
    packages: ["tinypool"],
    imports: ["tinypool"],
    load: async () => (await import("./libs/tinypool.js")).lib,
    na: { "tiny-map": "no map operation (1a is its closest equivalent)" }
  },
  {
    id: "workerpool",
    label: "workerpool",
    packages: ["workerpool"],
    imports: ["workerpool"],
    load: async () => (await import("./libs/workerpool.js")).lib,
    na: { "tiny-map": "no map operation (1a is its closest equivalent)" }
  },
  {
    id: "poolifier",
    label: "poolifier (FixedThreadPool)",
    packages: ["poolifier"],
    imports: ["poolifier"],
    load: async () => (await import("./libs/poolifier.js")).lib
  },
  {
    id: "hand-written",
    label: "hand-written worker_threads",
    packages: [],
    imports: ["node:worker_threads"],
    load: async () => (await import("./libs/hand-written.js")).lib
  },
  {
    id: "serial",
    label: "serial (in-process)",
    packages: [],
    imports: [],
    load: () => Promise.resolve({ kind: "serial" }),
    na: {
      latency: "no worker: nothing to wait for",
      "buffer-transfer": "no worker: nothing to transfer to",
      startup: "no pool"
    }
  }
]
