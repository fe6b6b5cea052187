import * as Effect from "effect/Effect"

/**
 * Waits in `waiters` until one of them is called (each woken fiber looks again at what it waits for); an
 * interrupted fiber leaves the list.
 */
export const waitIn = (waiters: Array<() => void>): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    waiters.push(wake)
    return Effect.sync(() => {
      const i = waiters.indexOf(wake)
      if (i >= 0) waiters.splice(i, 1)
    })
  })
