import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Tracer from "effect/Tracer"
import type * as Task from "../Task.js"
import type { TaskRunner } from "../workers/TaskRunner.js"
import { makeWorkerPort, type PortIO, type WorkerPort } from "./port.js"
import * as Wire from "./wire.js"

/** Runs encoded requests with a runner's handlers: the part of a worker that any layer can reuse. */
export interface Executor {
  /**
   * Runs a task or a chunk, under the caller's span if given (a runner that starts the fiber can rather put
   * `parentSpanOf(span)` in its context: cheaper). A handler hands buffers back without copying with
   * `Transferable.addAll`: the fiber's context needs a `Transferable.Collector` to read them (none: they are copied).
   */
  readonly run: (
    chunk: boolean,
    payload: unknown,
    span: Wire.SpanContext | undefined
  ) => Effect.Effect<Wire.WireExit | Wire.ChunkExit, never, unknown>
  /** Starts a channel task: its Effect, and its port to feed with the main side's messages. */
  readonly runChannel: (
    payload: unknown,
    span: Wire.SpanContext | undefined,
    io: PortIO
  ) => readonly [Effect.Effect<Wire.WireExit, never, unknown>, WorkerPort | undefined]
}

interface Entry {
  readonly ctor: Task.AnyClass
  readonly handler: (task: Task.Any, port?: unknown) => Effect.Effect<unknown, unknown, unknown>
}

/** The caller's span, as the parent of the spans a handler makes. */
export const parentSpanOf = (span: Wire.SpanContext): Tracer.ExternalSpan =>
  Tracer.externalSpan({ traceId: span[0], spanId: span[1], sampled: span[2] })

export const describeCause = (cause: Cause.Cause<unknown>): string => Cause.pretty(cause, { renderErrorCause: true })

export const makeExecutor = (runner: TaskRunner<unknown>, module: string): Executor => {
  const entries = new Map<string, Entry>()
  for (const ctor of runner.tasks) {
    const handler = runner.handlers.get(ctor._tag)
    if (handler !== undefined) entries.set(ctor._tag, { ctor, handler })
  }
  const served = Array.from(entries.keys()).join(", ")

  const decode = (encoded: unknown): readonly [Entry, Task.Any] | Wire.WireExit => {
    const tag = Wire.encodedTag(encoded)
    const entry = typeof tag === "string" ? entries.get(tag) : undefined
    if (entry === undefined) {
      return [
        Wire.EXIT_DECODE,
        `worker module '${module}' has no handler for task '${String(tag)}' (it serves: ${served || "nothing"})`
      ]
    }
    const decoded = Wire.codecOf(entry.ctor).decode(encoded)
    return Either.isLeft(decoded) ? [Wire.EXIT_DECODE, Wire.formatParseError(decoded.left)] : [entry, decoded.right]
  }

  const execute = (entry: Entry, task: Task.Any, port?: unknown): Effect.Effect<Wire.WireExit, never, unknown> =>
    Effect.map(Effect.exit(entry.handler(task, port)), (exit) => Wire.encodeExit(entry.ctor, exit))

  const runOne = (encoded: unknown): Effect.Effect<Wire.WireExit, never, unknown> => {
    const decoded = decode(encoded)
    return typeof decoded[0] === "number" ? Effect.succeed(decoded as Wire.WireExit) : execute(...(decoded as readonly [Entry, Task.Any]))
  }

  const withSpan = <A>(effect: Effect.Effect<A, never, unknown>, span: Wire.SpanContext | undefined) =>
    span === undefined ? effect : Effect.withParentSpan(effect, parentSpanOf(span))

  const runChunk = (chunk: Wire.ChunkPayload): Effect.Effect<Wire.ChunkExit, never, unknown> =>
    Effect.suspend(() => {
      const successes: Array<unknown> = []
      const [length, item] = Wire.readChunk(chunk)
      let i = 0
      const loop: Effect.Effect<Wire.ChunkExit, never, unknown> = Effect.suspend(() => {
        if (i >= length) return Effect.succeed([successes, undefined] as const)
        return Effect.flatMap(runOne(item(i++)), (exit) => {
          if (exit[0] !== Wire.EXIT_SUCCESS) return Effect.succeed([successes, exit] as const)
          successes.push(exit[1])
          return loop
        })
      })
      return loop
    })

  return {
    run: (chunk, payload, span) =>
      withSpan<Wire.WireExit | Wire.ChunkExit>(
        chunk ? runChunk(payload as Wire.ChunkPayload) : runOne(payload),
        span
      ),
    runChannel: (payload, span, io) => {
      const decoded = decode(payload)
      if (typeof decoded[0] === "number") return [Effect.succeed(decoded as Wire.WireExit), undefined]
      const [entry, task] = decoded as readonly [Entry, Task.Any]
      const codec = Wire.channelCodecOf(entry.ctor)
      if (codec === undefined) {
        return [Effect.succeed([Wire.EXIT_DECODE, `task '${entry.ctor._tag}' is not a channel task`]), undefined]
      }
      const port = makeWorkerPort(codec, entry.ctor._tag, io)
      return [withSpan(execute(entry, task, port.port), span), port]
    }
  }
}
