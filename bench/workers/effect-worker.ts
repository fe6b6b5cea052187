/** effect-parallel's worker module: one handler per task of ../tasks.ts. */
import * as Effect from "effect/Effect"
import * as TaskRunner from "../../src/workers/TaskRunner.js"
import { Echo, EchoTransfer, Inc, Spin } from "../tasks.js"
import { inc, spin, touch } from "../work.js"

export default TaskRunner.make([Inc, Spin, Echo, EchoTransfer], {
  // its Schema moves the result's buffer back (Task.transferable), so it can answer at once
  EchoTransfer: ({ array }) => Effect.succeed(touch(array)),
  Inc: ({ x }) => Effect.succeed(inc(x)),
  Spin: ({ iterations }) => Effect.sync(() => spin(iterations)),
  Echo: ({ array }) => Effect.succeed(touch(array))
})
