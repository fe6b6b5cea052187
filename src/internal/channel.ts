import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ChannelClosed, DecodeError, EncodeError, type WorkerPoolError } from "../Errors.js"
import type * as Task from "../Task.js"
import type { TaskChannel } from "../TaskChannel.js"
import type { Core, CoreRequest, CoreResult } from "./core.js"
import { waitIn } from "./waiters.js"
import * as Wire from "./wire.js"

type Untyped = TaskChannel<unknown, unknown, unknown, unknown>

export const open = (core: Core, task: Task.Any, request: CoreRequest): Effect.Effect<Untyped, EncodeError, Scope.Scope> =>
  Effect.suspend(() => {
    const codec = Wire.channelCodecOf(Wire.classOf(task))
    if (codec === undefined) {
      return Effect.fail(new EncodeError({ task: task._tag, reason: "not a channel task (define it with TaskChannel.Class)" }))
    }

    const outputs: Array<unknown> = []
    // fibers waiting for an output (or the end), for credit, and for the result: each wakes and looks again
    const takers: Array<() => void> = []
    const senders: Array<() => void> = []
    const awaiters: Array<() => void> = []
    let credit = Wire.CHANNEL_WINDOW
    let final: Exit.Exit<unknown, unknown> | undefined
    const wakeAll = () => {
      for (const wake of takers.splice(0)) wake()
      for (const wake of senders.splice(0)) wake()
      for (const wake of awaiters.splice(0)) wake()
    }
    const finish = (exit: Exit.Exit<unknown, unknown>) => {
      if (final !== undefined) return
      final = exit
      wakeAll()
    }

    const handle = core.open(
      request,
      {
        output: (value) => {
          if (final !== undefined) return
          const decoded = codec.decodeOutput(value)
          if (Either.isLeft(decoded)) {
            // the task stops in its worker; its caller gets the DecodeError
            handle.cancel()
            const reason = `an output failed its Schema: ${Wire.formatParseError(decoded.left)}`
            return finish(Exit.fail(new DecodeError({ task: task._tag, reason })))
          }
          outputs.push(decoded.right)
          // every waiting taker looks again: one woken and then interrupted must not leave the output unseen
          for (const wake of takers.splice(0)) wake()
        },
        credit: (n) => {
          credit += n
          while (credit > 0 && senders.length > 0) senders.shift()!()
        }
      },
      (result: CoreResult) =>
        finish(Array.isArray(result) ? Wire.decodeExit(task, result as Wire.WireExit) : Exit.fail(result as WorkerPoolError))
    )

    const take: Untyped["take"] = Effect.suspend(function loop(): Effect.Effect<Option.Option<unknown>, unknown> {
      if (outputs.length > 0) {
        handle.push([Wire.REQ_CREDIT, 1])
        return Effect.succeed(Option.some(outputs.shift()))
      }
      if (final !== undefined) return Exit.isSuccess(final) ? Effect.succeedNone : (final as Exit.Exit<never, unknown>)
      return Effect.flatMap(waitIn(takers), loop)
    })

    let inputClosed = false
    const send = (input: unknown): Effect.Effect<void, ChannelClosed | EncodeError> =>
      Effect.suspend(function loop(): Effect.Effect<void, ChannelClosed | EncodeError> {
        // after closeInput the task may have read the end already: a later input would be lost
        if (final !== undefined || inputClosed) return Effect.fail(new ChannelClosed({ task: task._tag }))
        if (credit > 0) {
          const value = codec.encodeInput(input)
          if (Either.isLeft(value)) {
            return Effect.fail(new EncodeError({ task: task._tag, reason: Wire.formatParseError(value.left) }))
          }
          credit--
          handle.push([Wire.REQ_INPUT, value.right])
          return Effect.void
        }
        return Effect.flatMap(waitIn(senders), loop)
      })

    const awaitResult = Effect.suspend(function loop(): Effect.Effect<unknown, unknown> {
      return final !== undefined ? final : Effect.flatMap(waitIn(awaiters), loop)
    })

    const interrupt = Effect.sync(() => {
      if (final !== undefined) return
      handle.cancel()
      finish(Exit.interrupt(FiberId.none))
    })

    const channel: Untyped = {
      send,
      closeInput: Effect.sync(() => {
        if (inputClosed) return
        inputClosed = true
        handle.push([Wire.REQ_END_INPUT])
        // senders waiting for credit fail now, as after the task's end
        for (const wake of senders.splice(0)) wake()
      }),
      take,
      output: Stream.repeatEffectOption(
        Effect.flatMap(Effect.mapError(take, Option.some), (option) =>
          Option.isSome(option) ? Effect.succeed(option.value) : Effect.fail(Option.none()))
      ),
      await: awaitResult,
      interrupt
    }
    return Effect.as(Effect.addFinalizer(() => interrupt), channel)
  })
