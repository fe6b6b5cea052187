/**
 * The pool's `PlatformWorker` for Node threads and child processes, made with @effect/platform's own
 * `Worker.makePlatform`: the platform still starts each worker, frames its messages and closes it (asks it to
 * stop, waits up to 5 s for it to exit, then kills it), as @effect/platform-node's does. One thing differs:
 * a worker's replies go straight to the receiver the pool registered for it, inside the port's message event,
 * where @effect/platform-node forks a fiber per message to run the handler. A reply only settles jobs (their
 * callers resume on their own fibers), so that fiber bought nothing and cost ~20% of the main thread's time
 * per round trip (CPU profile of scenario 4b). Other messages (the worker's "ready") still take the handler.
 */
import * as Worker from "@effect/platform/Worker"
import { WorkerError } from "@effect/platform/WorkerError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Spawn from "./spawn.js"

/** Takes the data of a worker's reply message (`[1, data]`). */
export type Receiver = (data: unknown) => void

interface Port {
  readonly postMessage: (message: unknown, transfers?: ReadonlyArray<unknown>) => void
  readonly worker: Spawn.RawWorker
}

/** How long a closing worker has to exit once asked before it is killed (as @effect/platform-node). */
const CLOSE_GRACE_MS = 5_000

/**
 * A PlatformWorker whose spawned workers deliver their replies to `receiverOf(worker)` when it gives one,
 * synchronously; a receiver that throws fails the worker's run (as a defect in the handler's fiber did).
 */
export const make = (receiverOf: (worker: Spawn.RawWorker) => Receiver | undefined): Worker.PlatformWorker =>
  Worker.makePlatform<Spawn.RawWorker>()({
    setup: ({ scope, worker }) =>
      Effect.flatMap(Deferred.make<void>(), (exited) => {
        const port: Port = {
          postMessage: (message, transfers) => Spawn.post(worker, message, transfers),
          worker
        }
        worker.on("exit", () => Deferred.unsafeDone(exited, Exit.void))
        return Effect.as(
          Scope.addFinalizer(
            scope,
            Effect.suspend(() => {
              port.postMessage([1])
              return Deferred.await(exited)
            }).pipe(
              Effect.interruptible,
              Effect.timeout(CLOSE_GRACE_MS),
              Effect.catchAllCause(() => Effect.sync(() => Spawn.kill(worker)))
            )
          ),
          port
        )
      }),
    listen: ({ deferred, emit, port }) =>
      Effect.sync(() => {
        const worker = port.worker
        const receiver = receiverOf(worker)
        const fail = (cause: unknown) => Deferred.unsafeDone(deferred, new WorkerError({ reason: "unknown", cause }))
        worker.on("message", (message: readonly [number, unknown]) => {
          if (receiver === undefined || message[0] !== 1) return emit(message)
          try {
            receiver(message[1])
          } catch (cause) {
            fail(cause)
          }
        })
        worker.on("messageerror", (cause: unknown) =>
          Deferred.unsafeDone(deferred, new WorkerError({ reason: "decode", cause })))
        worker.on("error", fail)
        worker.on("exit", (code: number | null) => fail(new Error(`exited with code ${code}`)))
      })
  })
