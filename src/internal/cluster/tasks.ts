import * as Effect from "effect/Effect"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { isTaskRunner, type TaskRunner } from "../../workers/TaskRunner.js"
import { ClusterError } from "../../ClusterError.js"

/** Loads the worker module a node serves (the same on every node): its default export is the TaskRunner. */
export const loadTaskRunner = (module: string | URL): Effect.Effect<TaskRunner<unknown>, ClusterError> =>
  Effect.tryPromise({
    try: async () => {
      const url = typeof module === "string" ? pathToFileURL(path.resolve(module)).href : module.href
      const loaded = /\.[cm]?tsx?$/.test(url)
        ? await (await import("tsx/esm/api")).tsImport(url, import.meta.url)
        : await import(url)
      const runner = loaded.default?.default ?? loaded.default
      if (!isTaskRunner(runner)) throw new Error("its default export is not a TaskRunner")
      return runner
    },
    catch: (error) =>
      new ClusterError({ reason: `cannot load tasks module '${String(module)}': ${error instanceof Error ? error.message : String(error)}` })
  })
