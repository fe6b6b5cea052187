/** The worker of @effect/platform's own pool: WorkerRunner.layerSerialized on NodeWorkerRunner. */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Request } from "../platform-tasks.js"
import { inc, spin, touch } from "../work.js"

const WorkerLive = WorkerRunner.layerSerialized(Request, {
  Inc: ({ x }) => Effect.succeed(inc(x)),
  Spin: ({ iterations }) => Effect.sync(() => spin(iterations)),
  Echo: ({ array }) => Effect.sync(() => touch(array)),
  EchoTransfer: ({ array }) => Effect.sync(() => touch(array))
}).pipe(Layer.provide(NodeWorkerRunner.layer))

NodeWorkerRunner.launch(WorkerLive).pipe(NodeRuntime.runMain)
