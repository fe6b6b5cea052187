import { NodeWorkerPool } from "../src/index.js"
import { workerPoolSuite } from "./suites/workerPool.js"

workerPoolSuite("child processes", "process", (options) =>
  NodeWorkerPool.layerProcesses({ module: options.module!, ...options }))
