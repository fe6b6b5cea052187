import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { WorkerPoolError } from "../Errors.js"
import type * as Exchange from "../Exchange.js"
import { MemberFailed } from "../Exchange.js"
import { WorkerPool } from "../services/WorkerPool.js"
import type * as TaskChannel from "../TaskChannel.js"

type Event<A, E> =
  | { readonly _tag: "Value"; readonly received: Exchange.Received<A>; readonly release: Effect.Effect<void> }
  | { readonly _tag: "Failed"; readonly failure: MemberFailed<E> }
  | { readonly _tag: "Died"; readonly cause: Cause.Cause<never> }
  | { readonly _tag: "Done" }

/**
 * Outputs of one channel member waiting to be read: past this many its pump waits, and the channel's own flow
 * control then holds its task back in the worker. Results of tasks and jobs (one each) never wait: a member gives
 * back its `limit` permit as soon as it has a result, and a member that ends or fails never blocks on the reader.
 */
const CHANNEL_BUFFER = 256

export const make = <A, E = never>(
  options: Exchange.Exchange.Options<A> = {}
): Effect.Effect<Exchange.Exchange<A, E>, never, WorkerPool | Scope.Scope> =>
  Effect.gen(function*() {
    type Err = E | WorkerPoolError
    const pool = yield* WorkerPool
    const scope = yield* Effect.scope
    const limit = options.limit
    if (limit !== undefined && !(limit === Infinity || (Number.isInteger(limit) && limit > 0))) {
      return yield* Effect.die(
        new RangeError(`Exchange: limit must be a positive integer or Infinity, got ${String(limit)}`)
      )
    }
    const fibers = yield* FiberSet.make<void, never>()
    const permits = yield* Effect.makeSemaphore(limit ?? pool.capacity)
    const events = yield* Queue.unbounded<Event<A, Err>>()
    const waiting = new Map<number, { member: Exchange.Member; count: number }>()
    const failures: Array<MemberFailed<Err>> = []
    const collect = options.onFailure === "collect"
    let nextId = 1
    let active = 0

    const offerValue = (member: Exchange.Member, release: Effect.Effect<void> = Effect.void) => (value: A) =>
      Effect.suspend(() => {
        const entry = waiting.get(member.id) ?? { member, count: 0 }
        entry.count++
        waiting.set(member.id, entry)
        return Queue.offer(events, { _tag: "Value", received: { member, value }, release })
      })

    // A member is a fiber that feeds the queue; it ends with a Done event so the reader re-checks. Interrupting it
    // (the "stop" policy, or the exchange's scope closing) stops what it runs: its task, job or channel.
    const join = (
      task: string,
      body: (member: Exchange.Member) => Effect.Effect<void, Err>,
      release?: boolean
    ) =>
      Effect.suspend(() => {
        const member: Exchange.Member = { id: nextId++, task }
        active++
        // (a member interrupted by the exchange itself, its "stop" policy or its scope, skips this)
        const run = body(member).pipe(
          Effect.catchAllCause((cause) => {
            const error = Cause.failureOption(cause)
            if (Option.isNone(error)) {
              // A defect, or an interruption from outside (a job interrupted by its owner): the member's result
              // will never come, and it is no typed failure to collect. The reader gets it, whatever the policy.
              const died = Cause.isInterruptedOnly(cause)
                ? Cause.die(new Error(`exchange member ${member.id} (${task}) was interrupted outside the exchange`))
                : Cause.stripFailures(cause)
              return Queue.offer(events, { _tag: "Died", cause: died })
            }
            const failure = new MemberFailed<Err>({ member, error: error.value })
            if (collect) {
              failures.push(failure)
              return Effect.void
            }
            return Queue.offer(events, { _tag: "Failed", failure })
          }),
          Effect.ensuring(Effect.suspend(() => {
            active--
            return Effect.zipRight(release ? permits.release(1) : Effect.void, Queue.offer(events, { _tag: "Done" }))
          }))
        )
        return Effect.as(FiberSet.run(fibers, run), member)
      })

    const start: Exchange.Exchange<A, E>["start"] = (task, runOptions) =>
      Effect.zipRight(
        permits.take(1),
        join(task._tag, (member) => Effect.flatMap(pool.run(task, runOptions) as Effect.Effect<A, Err>, offerValue(member)), true)
      )

    const pumpChannel = (channel: TaskChannel.TaskChannel<any, A, unknown, E>) => (member: Exchange.Member) => {
      const room = Effect.unsafeMakeSemaphore(CHANNEL_BUFFER)
      const offer = offerValue(member, room.release(1))
      return Effect.zipRight(
        Stream.runForEach(channel.output, (value) => Effect.zipRight(room.take(1), offer(value))),
        Effect.asVoid(channel.await)
      ).pipe(Effect.onInterrupt(() => channel.interrupt))
    }

    const startChannel: Exchange.Exchange<A, E>["startChannel"] = (task, runOptions) =>
      Effect.gen(function*() {
        yield* permits.take(1)
        const channel = yield* Scope.extend(pool.openChannel(task, runOptions), scope).pipe(
          Effect.tapError(() => permits.release(1))
        )
        const member = yield* join(task._tag, pumpChannel(channel), true)
        return [member, channel] as const
      })

    const next: Effect.Effect<Exchange.Received<A>, Option.Option<MemberFailed<Err>>> = Effect.suspend(
      function loop(): Effect.Effect<Exchange.Received<A>, Option.Option<MemberFailed<Err>>> {
        if (active === 0 && Option.getOrElse(events.unsafeSize(), () => 0) === 0) {
          return Effect.fail(Option.none())
        }
        return Effect.flatMap(Queue.take(events), (event) => {
          switch (event._tag) {
            case "Done":
              return loop()
            case "Failed":
              return Effect.zipRight(FiberSet.clear(fibers), Effect.fail(Option.some(event.failure)))
            case "Died":
              return Effect.zipRight(FiberSet.clear(fibers), Effect.failCause(event.cause))
            case "Value": {
              const entry = waiting.get(event.received.member.id)
              if (entry !== undefined && --entry.count === 0) waiting.delete(event.received.member.id)
              return Effect.as(event.release, event.received)
            }
          }
        })
      }
    )

    const results = Stream.repeatEffectOption(next)

    return {
      start,
      startChannel,
      add: (job, task = "job") =>
        join(task, (member) =>
          Effect.flatMap(job.await as Effect.Effect<A, Err>, offerValue(member)).pipe(
            Effect.onInterrupt(() => job.interrupt)
          )),
      addChannel: (channel, task = "channel") => join(task, pumpChannel(channel)),
      active: Effect.sync(() => active),
      ready: Effect.sync(() => Array.from(waiting.values(), (entry) => entry.member)),
      results,
      failures: Effect.sync(() => failures.slice()),
      finish: Stream.runCollect(
        options.onResult === undefined ? results : Stream.tap(results, options.onResult)
      ).pipe(Effect.map((chunk) => Array.from(chunk)))
    }
  })
