import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
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
   * The handlers are called at once; as long as they answer with an `Exit` (`Effect.succeed(...)`, `Effect.fail(...)`),
   * or the payload does not decode, the result is there at once and nothing is left to run (see `Started`).
   */
  readonly run: (
    chunk: boolean,
    payload: unknown,
    span: Wire.SpanContext | undefined
  ) => Started<Wire.WireExit | Wire.ChunkExit>
  /** The codec of the tasks of a tag, if it is served here (what a result moves with: `Wire.sendingResult`). */
  readonly codecOf: (tag: unknown) => Wire.Codec | undefined
  /** Starts a channel task: its Effect, and its port to feed with the main side's messages. */
  readonly runChannel: (
    payload: unknown,
    span: Wire.SpanContext | undefined,
    io: PortIO
  ) => readonly [Effect.Effect<Wire.WireExit, never, unknown>, WorkerPort | undefined]
}

/**
 * A task's result at once (an array: its handlers answered with `Exit`s, or it did not decode), or the Effect that
 * computes it. A worker forks a fiber for the Effect only: a fiber's start and end cost more than a tiny task
 * (~8-10 µs each for the first few hundred, before V8 optimises them).
 */
export type Started<A extends ReadonlyArray<unknown>> = A | Effect.Effect<A, never, unknown>

export const isDone = <A extends ReadonlyArray<unknown>>(started: Started<A>): started is A => Array.isArray(started)

const successPrototype = Object.getPrototypeOf(Exit.void)
const failurePrototype = Object.getPrototypeOf(Exit.die(undefined))

/**
 * An Exit value itself (`Effect.succeed(a)`, `Exit.fail(e)`, `Effect.die(d)`...). `Exit.isExit` looks at `_tag`
 * only, which a yieldable error tagged "Success" or "Failure" returned as a handler's Effect also has.
 */
const isExitValue = (u: unknown): u is Exit.Exit<unknown, unknown> => {
  const prototype = typeof u === "object" && u !== null ? Object.getPrototypeOf(u) : undefined
  return prototype === successPrototype || prototype === failurePrototype
}

const syncProbe = Effect.sync(() => undefined) as unknown as { readonly _op: unknown }
const syncPrototype = Object.getPrototypeOf(syncProbe)

/** `Effect.sync(thunk)` as Effect represents it: its fiber calls `effect_instruction_i0` as a method. */
interface SyncEffect {
  readonly _op: unknown
  readonly effect_instruction_i0: () => unknown
}

/**
 * Whether an Effect is a bare `Effect.sync(thunk)`. A worker calls its thunk at once, as it takes an Exit, instead
 * of forking a fiber to run it: a fiber would only call it, synchronously too, and nothing in a thunk can tell the
 * difference (with Effect's own tracer: see makeExecutor). The fiber's start and end cost ~150-200 µs per task in
 * a worker whose code V8 has not optimised yet (a handler's usual `Effect.sync(() => work(x))`). Recognised by the
 * prototype and op of `Effect.sync`'s own result, so that anything else (and `Effect.sync`, should its
 * representation change) still runs in a fiber.
 */
const isSyncEffect = (u: unknown): u is SyncEffect =>
  typeof u === "object" && u !== null && Object.getPrototypeOf(u) === syncPrototype &&
  (u as SyncEffect)._op === syncProbe._op && typeof (u as SyncEffect).effect_instruction_i0 === "function"

/** A `Started` as an Effect. */
export const toEffect = <A extends ReadonlyArray<unknown>>(started: Started<A>): Effect.Effect<A, never, unknown> =>
  isDone(started) ? Effect.succeed(started) : started

interface Entry {
  readonly ctor: Task.AnyClass
  readonly handler: (task: Task.Any, port?: unknown) => Effect.Effect<unknown, unknown, unknown>
  /** A channel task: its handler needs the channel's port, so it only starts through `openChannel`. */
  readonly channel: boolean
  readonly codec: Wire.Codec
}

/** The caller's span, as the parent of the spans a handler makes. */
export const parentSpanOf = (span: Wire.SpanContext): Tracer.ExternalSpan =>
  Tracer.externalSpan({ traceId: span[0], spanId: span[1], sampled: span[2] })

export const describeCause = (cause: Cause.Cause<unknown>): string => Cause.pretty(cause, { renderErrorCause: true })

/**
 * `inlineSync`: whether a handler's bare `Effect.sync` runs without a fiber. Not where a tracer other than Effect's
 * own is installed: one such as OpenTelemetry's makes the fiber's span the active one around each step the fiber
 * runs, and code in the thunk would lose it.
 */
export const makeExecutor = (runner: TaskRunner<unknown>, module: string, inlineSync = true): Executor => {
  const entries = new Map<string, Entry>()
  for (const ctor of runner.tasks) {
    const handler = runner.handlers.get(ctor._tag)
    if (handler !== undefined) entries.set(ctor._tag, {
        ctor,
        handler,
        channel: Wire.channelCodecOf(ctor) !== undefined,
        codec: Wire.codecOf(ctor)
      })
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

  // A handler that throws instead of returning an Effect (`Effect.succeed(JSON.parse(text))`) fails its own task
  // with that defect, as `Effect.suspend` would: the worker and the other tasks in it go on.
  const call = (entry: Entry, task: Task.Any, port?: unknown): Effect.Effect<unknown, unknown, unknown> => {
    try {
      return entry.handler(task, port)
    } catch (defect) {
      return Exit.die(defect)
    }
  }

  const execute = (entry: Entry, task: Task.Any, port?: unknown): Started<Wire.WireExit> => {
    const effect = call(entry, task, port)
    let exit: Exit.Exit<unknown, unknown>
    if (isExitValue(effect)) {
      exit = effect
      // (a channel task's fiber starts only once its port is ready: its thunk waits for that too)
    } else if (inlineSync && port === undefined && isSyncEffect(effect)) {
      try {
        exit = Exit.succeed(effect.effect_instruction_i0())
      } catch (defect) {
        exit = Exit.die(defect)
      }
    } else {
      return Effect.map(Effect.exit(effect), (exit) => Wire.encodeExit(entry.ctor, exit))
    }
    // outside a fiber, nothing else would catch a throw while encoding (a failure Schema's message function, say)
    try {
      return Wire.encodeExit(entry.ctor, exit)
    } catch (defect) {
      return [Wire.EXIT_DIE, Wire.encodeDefect(defect)]
    }
  }

  const runOne = (encoded: unknown): Started<Wire.WireExit> => {
    const decoded = decode(encoded)
    if (typeof decoded[0] === "number") return decoded as Wire.WireExit
    const [entry, task] = decoded as readonly [Entry, Task.Any]
    return entry.channel
      ? [
        Wire.EXIT_DECODE,
        `task '${entry.ctor._tag}' is a channel task: start it with ${entry.ctor._tag}.open(...) or openChannel, which give its handler the channel`
      ]
      : execute(entry, task)
  }

  const withSpan = <A extends ReadonlyArray<unknown>>(started: Started<A>, span: Wire.SpanContext | undefined) =>
    span === undefined || isDone(started) ? started : Effect.withParentSpan(started, parentSpanOf(span))

  // The items run one after the other: at once while their handlers answer with Exits, in an Effect from the
  // first that does not on.
  const runChunk = (chunk: Wire.ChunkPayload): Started<Wire.ChunkExit> => {
    const successes: Array<unknown> = []
    const [length, item] = Wire.readChunk(chunk)
    let i = 0
    // the chunk's result once this item's exit ends it (the last item, or a failure), or undefined
    const settle = (exit: Wire.WireExit): Wire.ChunkExit | undefined => {
      if (exit[0] !== Wire.EXIT_SUCCESS) return [successes, exit]
      successes.push(exit[1])
      return i >= length ? [successes, undefined] : undefined
    }
    const next = (): Started<Wire.ChunkExit> => {
      while (i < length) {
        const started = runOne(item(i++))
        if (!isDone(started)) {
          return Effect.flatMap(started, (exit) => toEffect(settle(exit) ?? next()))
        }
        const done = settle(started)
        if (done !== undefined) return done
      }
      return [successes, undefined]
    }
    return next()
  }

  return {
    codecOf: (tag) => typeof tag === "string" ? entries.get(tag)?.codec : undefined,
    run: (chunk, payload, span) =>
      withSpan<Wire.WireExit | Wire.ChunkExit>(chunk ? runChunk(payload as Wire.ChunkPayload) : runOne(payload), span),
    runChannel: (payload, span, io) => {
      const decoded = decode(payload)
      if (typeof decoded[0] === "number") return [Effect.succeed(decoded as Wire.WireExit), undefined]
      const [entry, task] = decoded as readonly [Entry, Task.Any]
      const codec = Wire.channelCodecOf(entry.ctor)
      if (codec === undefined) {
        return [Effect.succeed([Wire.EXIT_DECODE, `task '${entry.ctor._tag}' is not a channel task`]), undefined]
      }
      const port = makeWorkerPort(codec, entry.ctor._tag, io)
      return [toEffect(withSpan(execute(entry, task, port.port), span)), port]
    }
  }
}
