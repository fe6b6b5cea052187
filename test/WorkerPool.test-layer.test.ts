import { TestWorkerPool } from "../src/index.js"
import runner from "./fixtures/worker.js"
import { workerPoolSuite } from "./suites/workerPool.js"

workerPoolSuite("in-process TestWorkerPool", "test", ({ interruptGrace: _grace, maxHeapMb: _heap, maxTasksPerWorker: _max, module: _module, ...options }) =>
  TestWorkerPool.layer(runner, options))
