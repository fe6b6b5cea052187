import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { EncodeError, InvalidOptions, WorkerCrashed, type WorkerPoolError } from "../Errors.js"
import * as Job from "../Job.js"
import * as WorkerPool from "../services/WorkerPool.js"

import type * as Task from "../Task.js"
import * as Channel from "./channel.js"
import * as Chunking from "./chunking.js"
import { type Cancel, type Core, type CoreRequest, type CoreResult, stoppedAlready } from "./core.js"
import * as Wire from "./wire.js"

/** The longest delay a timer can wait (about 24.8 days); a longer timeout is none. */
const MAX_TIMER_MS = 2_147_483_647

/** A task's timeout in ms: none for an infinite one or one longer than a timer can wait (a negative one is 0). */
const toMillis = (timeout: Duration.DurationInput | undefined): number | undefined => {
  if (timeout === undefined) return undefined
  const millis = Duration.toMillis(Duration.decode(timeout))
  return millis > MAX_TIMER_MS ? undefined : millis
}

/**
 * Items per message for `map` and `stream`: with a `timeout`, one (a timeout counts for each task, from its start);
 * a wrong `chunkSize` or `concurrency` is a defect with its reason.
 */
const checkedMapOptions = (options: WorkerPool.WorkerPool.MapOptions | undefined): number | "auto" => {
  const chunkSize = options?.chunkSize ?? "auto"
  if (chunkSize !== "auto" && !(Number.isInteger(chunkSize) && chunkSize > 0)) {
    throw new RangeError(`map/stream: chunkSize must be a positive integer or "auto", got ${String(chunkSize)}`)
  }
  const concurrency = options?.concurrency
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new RangeError(`map/stream: concurrency must be a positive integer, got ${String(concurrency)}`)
  }
  return toMillis(options?.timeout) !== undefined ? 1 : chunkSize
}

const spanOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Wire.SpanContext | undefined => {
  const span = fiber.currentSpan
  return span !== undefined && span._tag === "Span" && span.sampled ? [span.traceId, span.spanId, true] : undefined
}

const isError = (result: CoreResult): result is WorkerPoolError => !Array.isArray(result)

const exitOf = (task: Task.Any, result: CoreResult): Exit.Exit<any, any> =>
  isError(result) ? Exit.fail(result) : Wire.decodeExit(task, result as Wire.WireExit)

/** The values of a chunk, in order, and the exit that stopped it early, if any. */
type ChunkOutcome = readonly [values: Array<unknown>, stop: Exit.Exit<never, unknown> | undefined]

const chunkOutcome = (tasks: ReadonlyArray<Task.Any>, result: CoreResult): ChunkOutcome => {
  if (isError(result)) return [[], Exit.fail(result)]
  if (typeof result[0] === "number") return [[], Wire.decodeExit(tasks[0]!, result as Wire.WireExit) as Exit.Exit<never>]
  const [successes, stop] = result as Wire.ChunkExit
  const values: Array<unknown> = new Array(successes.length)
  for (let i = 0; i < successes.length; i++) {
    const exit = Wire.decodeExit(tasks[i]!, [Wire.EXIT_SUCCESS, successes[i]])
    if (Exit.isFailure(exit)) return [values.slice(0, i), exit as Exit.Exit<never, unknown>]
    values[i] = exit.value
  }
  return [values, stop === undefined ? undefined : Wire.decodeExit(tasks[successes.length]!, stop) as Exit.Exit<never>]
}

/** The Core's request for a task, with the caller's options and span, or the EncodeError. */
const toRequest = (
  task: Task.Any,
  options: WorkerPool.WorkerPool.RunOptions | undefined,
  fiber: Fiber.RuntimeFiber<unknown, unknown>
): CoreRequest | EncodeError => {
  const encoded = Wire.encodeTask(task)
  if (Either.isLeft(encoded)) return encoded.left
  const given = options?.transfer
  // a wrong option is a defect of the call, as for map's options
  if (given !== undefined && !Array.isArray(given)) {
    throw new TypeError(`run: transfer must be an array of buffers or ports, got ${typeof given}`)
  }
  const codec = Wire.codecOf(Wire.classOf(task))
  // and the buffers its Schema declares to move (Task.transferable)
  const transfer = Wire.withDeclaredTransfers(codec.transferPayload, encoded.right, given)
  if (typeof transfer === "string") return new EncodeError({ task: task._tag, reason: transfer })
  return {
    chunk: false,
    isolate: options?.isolate ?? false,
    payload: encoded.right,
    tag: task._tag,
    timeoutMs: options?.timeout === undefined ? undefined : toMillis(options.timeout),
    span: spanOf(fiber),
    onStart: options?.onStart,
    transfer,
    move: codec.movePayload
  }
}

/** The Core's request for a chunk of tasks (columns where they are plain), or the EncodeError. */
const chunkRequest = (
  tasks: ReadonlyArray<Task.Any>,
  timeoutMs: number | undefined,
  isolate: boolean,
  span: Wire.SpanContext | undefined
): CoreRequest | EncodeError => {
  const encoded = Wire.encodeChunk(tasks)
  if (Either.isLeft(encoded)) return encoded.left
  const { payload, transfer } = encoded.right
  return { chunk: true, isolate, payload, tag: tasks[0]!._tag, timeoutMs, span, transfer }
}

/** Encodes a task for the Core with the caller's options and span, or fails with the EncodeError. */
const withRequest = <A, E>(
  task: Task.Any,
  options: WorkerPool.WorkerPool.RunOptions | undefined,
  f: (request: CoreRequest) => Effect.Effect<A, E>
): Effect.Effect<A, E | EncodeError> =>
  Effect.withFiberRuntime((fiber) => {
    const request = toRequest(task, options, fiber)
    return "_tag" in request ? Exit.fail(request) : f(request)
  })

/** Interrupting a caller cancels its task and waits until the task has stopped in its worker. */
const untilStopped = (cancel: (onStopped: () => void) => void): Effect.Effect<void> =>
  Effect.async<void>((resume) => cancel(() => resume(Effect.void)))

const isCrash = (error: unknown): boolean => error instanceof WorkerCrashed

/** Runs `effect` again when it fails with WorkerCrashed, as the caller's Schedule allows. */
const retryCrashes = <A, E>(
  effect: Effect.Effect<A, E>,
  retry: WorkerPool.WorkerPool.RunOptions["retry"]
): Effect.Effect<A, E> =>
  retry === undefined
    ? effect
    // only crashes reach the Schedule (`while`), so one made for WorkerCrashed serves
    : Effect.retry(effect, { schedule: retry as Schedule.Schedule<unknown, E>, while: isCrash })

export const make = (core: Core, size: number, concurrency: number): WorkerPool.WorkerPool => {
  // the pool's size as last set (by `resize` too): map's chunking and in-flight defaults follow it
  let workers = size

  const run = <T extends Task.Any>(
    task: T,
    options?: WorkerPool.WorkerPool.RunOptions
  ): Effect.Effect<Task.Success<T>, WorkerPool.Error<T>> =>
    withRequest(task, options, (request) =>
      retryCrashes(
        Effect.async<Task.Success<T>, WorkerPool.Error<T>>((resume) => {
          const cancel = core.submit(request, (result) => resume(exitOf(task, result)))
          return untilStopped(cancel)
        }),
        options?.retry
      ))

  const runChunk = (
    tasks: ReadonlyArray<Task.Any>,
    timeoutMs: number | undefined,
    isolate: boolean,
    retry: WorkerPool.WorkerPool.RunOptions["retry"]
  ) =>
    Effect.withFiberRuntime<ChunkOutcome, WorkerPoolError>((fiber) => {
      const request = chunkRequest(tasks, timeoutMs, isolate, spanOf(fiber))
      if ("_tag" in request) return Exit.fail(request)
      const once = Effect.async<ChunkOutcome, WorkerPoolError>((resume) => {
        const cancel = core.submit(request, (result) =>
          resume(
            retry !== undefined && isCrash(result)
              ? Exit.fail(result as WorkerPoolError)
              : Exit.succeed(chunkOutcome(tasks, result))
          ))
        return untilStopped(cancel)
      })
      return retry === undefined ? once : Effect.catchAll(
        retryCrashes(once, retry),
        (error): Effect.Effect<ChunkOutcome> => Effect.succeed([[], Exit.fail(error)])
      )
    })

  // Input -> chunks of [index, task], pulled lazily, sized by the chunking policy.
  const chunksOf = <A, T extends Task.Any, E, R>(
    items: WorkerPool.Input<A, E, R>,
    f: (item: A, index: number) => T,
    policy: { size: number }
  ): Stream.Stream<Chunk.Chunk<readonly [number, T]>, E, R> => {
    const source: Stream.Stream<A, E, R> = Stream.StreamTypeId in (items as object)
      ? items as Stream.Stream<A, E, R>
      : Stream.fromIterable(items as Iterable<A>)
    const indexed = Stream.mapAccum(source, 0, (i, a) => [i + 1, [i, f(a, i)] as const])
    return Stream.unwrapScoped(Effect.map(Stream.toPull(indexed), (pull) => {
      let buffer: Array<readonly [number, T]> = []
      // the input's end (none) or failure (some): the items read before it still go first
      let end: Option.Option<E> | undefined
      const next: Effect.Effect<Chunk.Chunk<readonly [number, T]>, Option.Option<E>, R> = Effect.suspend(() => {
        if (buffer.length >= policy.size || (end !== undefined && buffer.length > 0)) {
          const out = buffer.slice(0, policy.size)
          buffer = buffer.slice(policy.size)
          return Effect.succeed(Chunk.unsafeFromArray(out))
        }
        if (end !== undefined) return Effect.fail(end)
        return Effect.matchEffect(pull, {
          onFailure: (error) => {
            end = error
            return next
          },
          onSuccess: (chunk) => {
            for (const item of chunk) buffer.push(item)
            return next
          }
        })
      })
      return Stream.repeatEffectOption(next)
    }))
  }

  const adapt = (policy: { size: number; adaptive: boolean }, items: number, started: number) => {
    if (!policy.adaptive || items === 0) return
    policy.size = Chunking.nextChunkSize((performance.now() - started) / items)
  }

  const streamChunks = <A, T extends Task.Any, E, R>(
    items: WorkerPool.Input<A, E, R>,
    f: (item: A, index: number) => T,
    options: WorkerPool.WorkerPool.MapOptions | undefined,
    unordered: boolean
  ) =>
    // its state is made for each run of the Stream: running it again starts from none done
    Stream.suspend(() => {
      const chunkSize = checkedMapOptions(options)
      const policy = {
        size: typeof chunkSize === "number"
          ? chunkSize
          : Array.isArray(items)
          ? Chunking.autoChunkSize(items.length, workers)
          : 1,
        adaptive: chunkSize === "auto" && !Array.isArray(items)
      }
      let done = 0
      const timeoutMs = toMillis(options?.timeout)
      return chunksOf(items, f, policy).pipe(
        Stream.mapEffect((chunk) => {
          const entries = Chunk.toReadonlyArray(chunk)
          const started = performance.now()
          return Effect.map(
            runChunk(entries.map((entry) => entry[1]), timeoutMs, options?.isolate ?? false, options?.retry),
            ([values, stop]) => {
              adapt(policy, values.length, started)
              if (options?.onProgress !== undefined) {
                done += values.length
                options.onProgress({ done, total: undefined })
              }
              return [entries, values, stop] as const
            }
          )
        }, { concurrency: options?.concurrency ?? workers * concurrency * 2, unordered }),
        Stream.flatMap(([entries, values, stop]) => {
          const out = Stream.fromIterable(values.map((value, i) => unordered ? { index: entries[i]![0], value } : value))
          return stop === undefined ? out : Stream.concat(out, stop as Effect.Effect<never, unknown>)
        })
      )
    })

  const stream: WorkerPool.WorkerPool["stream"] = (items, f, options) =>
    streamChunks(items, f, options, false) as any

  const streamUnordered: WorkerPool.WorkerPool["streamUnordered"] = (items, f, options) =>
    streamChunks(items, f, options, true) as any

  // Arrays skip the Stream machinery: fixed chunks, results written in place. Without a retry Schedule, no fiber
  // per chunk either: the chunks go to the Core as `submit`'s jobs do, at most `concurrency` of them at once, and
  // the next one is made (`f`) and sent as a reply comes in. Like Effect.forEach, the first failure to come back
  // stops the chunks still in flight (a cancelled chunk never answers: its failure, if any, is not seen), and the
  // map ends once they have let go of their workers; so does an interruption.
  const mapArray = <A, T extends Task.Any>(
    items: ReadonlyArray<A>,
    f: (item: A, index: number) => T,
    options: WorkerPool.WorkerPool.MapOptions | undefined
  ): Effect.Effect<Array<Task.Success<T>>, WorkerPool.Error<T>> =>
    Effect.withFiberRuntime((fiber) => {
      const n = items.length
      const size = checkedMapOptions(options)
      const chunkSize = size === "auto" ? Chunking.autoChunkSize(n, workers) : size
      if (options?.retry !== undefined) return mapArrayInFibers(items, f, options, chunkSize)
      const results: Array<Task.Success<T>> = new Array(n)
      if (n === 0) return Exit.succeed(results)
      const limit = options?.concurrency ?? workers * concurrency * 2
      const timeoutMs = toMillis(options?.timeout)
      const isolate = options?.isolate ?? false
      const span = spanOf(fiber)
      return Effect.async<Array<Task.Success<T>>, WorkerPool.Error<T>>((resume) => {
        let next = 0 // the first item not sent yet
        let running = 0 // chunks sent and not yet answered, or cancelled and not yet stopped
        let done = 0
        const cancels = new Map<number, Cancel>() // by the chunk's first index
        let failed: Exit.Exit<never, unknown> | undefined
        let interrupted: (() => void) | undefined
        let sending = false
        let ended = false

        // the chunks in flight: each counts until it has let go of its worker
        const cancelAll = () => {
          for (const [first, cancel] of cancels) {
            cancels.delete(first)
            cancel(onStopped)
          }
        }
        const fail = (exit: Exit.Exit<never, unknown>) => {
          if (failed !== undefined) return
          failed = exit
          cancelAll()
        }
        // ends the map (or its interruption) once nothing is in flight, and nothing is being sent
        const check = () => {
          if (ended || running > 0 || sending) return
          if (interrupted !== undefined) {
            ended = true
            interrupted()
          } else if (failed !== undefined) {
            ended = true
            resume(failed as Exit.Exit<never, WorkerPool.Error<T>>)
          } else if (next >= n) {
            ended = true
            resume(Exit.succeed(results))
          }
        }
        // a cancelled chunk has let go of its worker
        const onStopped = () => {
          running--
          check()
        }
        // The pool calls this as a worker replies (and the caller's `f` and `onProgress` run then, on the main
        // thread as they would in a fiber): a throw here is the map's defect, not the pool's.
        const onAnswer = (start: number, tasks: ReadonlyArray<T>, result: CoreResult) => {
          try {
            const [values, stop] = chunkOutcome(tasks, result)
            for (let i = 0; i < values.length; i++) results[start + i] = values[i] as Task.Success<T>
            if (options?.onProgress !== undefined) {
              done += values.length
              options.onProgress({ done, total: n })
            }
            if (stop !== undefined) fail(stop)
            else sendMore()
          } catch (defect) {
            fail(Exit.die(defect))
          }
        }
        const send = (start: number, end: number) => {
          let counted = false
          let answered = false
          try {
            const tasks: Array<T> = new Array(end - start)
            for (let i = start; i < end; i++) tasks[i - start] = f(items[i]!, i)
            const request = chunkRequest(tasks, timeoutMs, isolate, span)
            if ("_tag" in request) return fail(Exit.fail(request))
            running++
            counted = true
            const cancel = core.submit(request, (result) => {
              answered = true
              cancels.delete(start)
              running--
              onAnswer(start, tasks, result)
              check()
            })
            if (!answered) cancels.set(start, cancel)
          } catch (defect) {
            // `f` threw (or, unexpectedly, the pool did: the chunk then counts as never sent)
            if (counted && !answered) running--
            fail(Exit.die(defect))
          }
        }
        // (a chunk answered at once, by a closed pool say, calls it again from within: the loop goes on instead)
        const sendMore = () => {
          if (sending) return
          sending = true
          try {
            while (failed === undefined && interrupted === undefined && running < limit && next < n) {
              const start = next
              next = Math.min(n, start + chunkSize)
              send(start, next)
            }
          } finally {
            sending = false
          }
        }
        sendMore()
        check()
        return Effect.async<void>((stopped) => {
          // the map may have ended already, its result on its way to the fiber when the interruption came
          if (ended) return stopped(Effect.void)
          interrupted = () => stopped(Effect.void)
          cancelAll()
          check()
        })
      })
    })

  // With a retry Schedule (which runs in a fiber): a fiber per chunk.
  const mapArrayInFibers = <A, T extends Task.Any>(
    items: ReadonlyArray<A>,
    f: (item: A, index: number) => T,
    options: WorkerPool.WorkerPool.MapOptions | undefined,
    chunkSize: number
  ): Effect.Effect<Array<Task.Success<T>>, WorkerPool.Error<T>> =>
    Effect.suspend(() => {
      const n = items.length
      const results: Array<Task.Success<T>> = new Array(n)
      let done = 0
      const timeoutMs = toMillis(options?.timeout)
      const starts: Array<number> = []
      for (let start = 0; start < n; start += chunkSize) starts.push(start)
      return Effect.as(
        Effect.forEach(starts, (start) =>
          Effect.suspend(() => {
            const end = Math.min(n, start + chunkSize)
            const tasks: Array<T> = new Array(end - start)
            for (let i = start; i < end; i++) tasks[i - start] = f(items[i]!, i)
            return Effect.flatMap(runChunk(tasks, timeoutMs, options?.isolate ?? false, options?.retry), ([values, stop]) => {
              for (let i = 0; i < values.length; i++) results[start + i] = values[i] as Task.Success<T>
              if (options?.onProgress !== undefined) {
                done += values.length
                options.onProgress({ done, total: n })
              }
              return stop === undefined ? Effect.void : stop as Effect.Effect<never, WorkerPool.Error<T>>
            })
          }), { concurrency: options?.concurrency ?? workers * concurrency * 2, discard: true }),
        results
      )
    })

  const map: WorkerPool.WorkerPool["map"] = (items, f, options) =>
    Array.isArray(items)
      ? mapArray(items, f, options)
      : Effect.map(Stream.runCollect(stream(items, f, options)), Chunk.toArray)

  // No fiber per job: the Core completes the job when the worker replies, as a promise-based pool would.
  const submit = <T extends Task.Any>(
    task: T,
    options?: WorkerPool.WorkerPool.RunOptions
  ): Effect.Effect<Job.Job<Task.Success<T>, WorkerPool.Error<T>>> =>
    // retrying needs a fiber to run the Schedule; it ends with the task (or with the pool, which fails it)
    options?.retry !== undefined ? Effect.map(Effect.forkDaemon(run(task, options)), Job.fromFiber) :
    Effect.withFiberRuntime((fiber) => {
      const request = toRequest(task, options, fiber)
      return Exit.succeed(Job.unsafeMake<Task.Success<T>, WorkerPool.Error<T>>((done) => {
        if ("_tag" in request) {
          done(Exit.fail(request))
          return stoppedAlready
        }
        return core.submit(request, (result) => done(exitOf(task, result)))
      }))
    })

  const broadcast: WorkerPool.WorkerPool["broadcast"] = (task, options) =>
    withRequest(task, options, (request) =>
      Effect.async<Array<Task.Success<typeof task>>, WorkerPool.Error<typeof task>>((resume) => {
        // every worker gets a copy: a buffer can move to one thread only (so declared ones are cloned here)
        const cancel = core.broadcast({ ...request, transfer: undefined, move: undefined }, (results) => {
          const exits = results.map((result) => exitOf(task, result))
          resume(exits.find(Exit.isFailure) ?? Exit.succeed(exits.map((exit) => (exit as Exit.Success<any, any>).value)))
        })
        return Effect.sync(cancel)
      }))

  const openChannel: WorkerPool.WorkerPool["openChannel"] = (task, options) =>
    Effect.flatMap(Effect.scope, (scope) =>
      withRequest(task, options, (request) => Scope.extend(Channel.open(core, task, request), scope)))

  return {
    [WorkerPool.TypeId]: WorkerPool.TypeId,
    openChannel,
    resize: (n) =>
      Number.isInteger(n) && n > 0
        ? Effect.sync(() => {
          workers = n
          core.resize(n)
        })
        : Effect.fail(new InvalidOptions({ reason: `a pool's size must be a positive integer, got ${n}` })),
    size: Effect.sync(core.size),
    get capacity() {
      return workers * concurrency
    },
    run,
    submit,
    map,
    stream,
    streamUnordered,
    broadcast
  }
}
