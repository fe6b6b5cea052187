import { NodeWorkerPool } from "../src/index.js"
import { workerPoolSuite } from "./suites/workerPool.js"

workerPoolSuite("worker threads", "thread", (options) => NodeWorkerPool.layerThreads({ module: options.module!, ...options }))
