/** effect-parallel's worker module: one handler per task of ../tasks.ts. */
import * as Transferable from "@effect/platform/Transferable"
import * as Effect from "effect/Effect"
import * as TaskRunner from "../../src/workers/TaskRunner.js"
import { Echo, EchoTransfer, Inc, Spin } from "../tasks.js"
import { inc, spin, touch } from "../work.js"

export default TaskRunner.make([Inc, Spin, Echo, EchoTransfer], {
  EchoTransfer: ({ array }) =>
    Effect.sync(() => touch(array)).pipe(Effect.tap((out) => Transferable.addAll([out.buffer]))),
  Inc: ({ x }) => Effect.succeed(inc(x)),
  Spin: ({ iterations }) => Effect.sync(() => spin(iterations)),
  Echo: ({ array }) => Effect.sync(() => touch(array))
})
