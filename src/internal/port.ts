import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as TaskChannel from "../TaskChannel.js"
import { waitIn } from "./waiters.js"
import * as Wire from "./wire.js"

/** How a worker-side port reaches the main side. */
export interface PortIO {
  readonly output: (encoded: unknown) => void
  readonly credit: (n: number) => void
  /** An input failed its Schema: the task fails with this reason (a DecodeError for its caller), and stops. */
  readonly reject: (reason: string) => void
}

/** The worker's end of a channel, and the hooks the runner feeds it with. */
export interface WorkerPort {
  readonly port: TaskChannel.Port<unknown, unknown>
  readonly deliver: (encoded: unknown) => void
  readonly end: () => void
  readonly grant: (n: number) => void
}

export const makeWorkerPort = (
  codec: NonNullable<ReturnType<typeof Wire.channelCodecOf>>,
  tag: string,
  io: PortIO
): WorkerPort => {
  const inbox: Array<unknown> = []
  let ended = false
  // fibers waiting in `take`, first come first served: each woken one looks again (an input stays in the inbox
  // until a take returns it, so one interrupted after its wake-up loses nothing); an interrupted one leaves the line
  const takers: Array<() => void> = []
  let credit = Wire.CHANNEL_WINDOW
  const senders: Array<() => void> = []

  const take: Effect.Effect<Option.Option<unknown>> = Effect.suspend(function loop(): Effect.Effect<Option.Option<unknown>> {
    if (inbox.length > 0) {
      io.credit(1)
      return Effect.succeed(Option.some(inbox.shift()))
    }
    if (ended) return Effect.succeed(Option.none())
    return Effect.flatMap(waitIn(takers), loop)
  })

  const send = (value: unknown): Effect.Effect<void> =>
    Effect.suspend(() => {
      const encoded = codec.encodeOutput(value)
      if (Either.isLeft(encoded)) {
        return Effect.dieMessage(`an output of channel task '${tag}' failed its Schema: ${Wire.formatParseError(encoded.left)}`)
      }
      if (credit > 0) {
        credit--
        io.output(encoded.right)
        return Effect.void
      }
      // the main side's buffer is full: wait until it takes some
      return Effect.async<void>((resume) => {
        const go = () => {
          credit--
          io.output(encoded.right)
          resume(Effect.void)
        }
        senders.push(go)
        return Effect.sync(() => {
          const i = senders.indexOf(go)
          if (i >= 0) senders.splice(i, 1)
        })
      })
    })

  const messages: Stream.Stream<unknown> = Stream.repeatEffectOption(
    Effect.flatMap(take, (option) => Option.isSome(option) ? Effect.succeed(option.value) : Effect.fail(Option.none()))
  )

  return {
    port: { take, messages, send },
    deliver: (encoded) => {
      const decoded = codec.decodeInput(encoded)
      if (Either.isLeft(decoded)) {
        return io.reject(`an input of channel task '${tag}' failed its Schema: ${Wire.formatParseError(decoded.left)}`)
      }
      inbox.push(decoded.right)
      for (const taker of takers.splice(0)) taker()
    },
    end: () => {
      ended = true
      for (const taker of takers.splice(0)) taker()
    },
    grant: (n) => {
      credit += n
      while (credit > 0 && senders.length > 0) senders.shift()!()
    }
  }
}
