import { TestWorkerPool } from "../src/index.js"
import runner from "./fixtures/worker.js"
import { workerPoolSuite } from "./suites/workerPool.js"

workerPoolSuite("in-process TestWorkerPool", "test", ({ module: _module, interruptGrace: _grace, ...options }) =>
  TestWorkerPool.layer(runner, options))
