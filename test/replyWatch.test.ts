import { assert, describe, it } from "@effect/vitest"
import * as Os from "node:os"
import * as IdleSpin from "../src/internal/idleSpin.js"

// The main thread's side of idleSpin (internal/idleSpin.ts, makeReplyWatch): while one task is in flight its event
// loop keeps turning for the reply instead of sleeping. The pools' suites run every sequential caller through it;
// this checks when it turns, that it stops, and that nothing waits on it.

const nextTurns = (n: number) =>
  new Promise<void>((resolve) => {
    const go = (left: number) => (left === 0 ? resolve() : setImmediate(() => go(left - 1)))
    go(n)
  })
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// (it never turns with one core)
describe.skipIf(Os.availableParallelism() < 2)("the main thread's reply watch", () => {
  it("turns after a send once replies come within its window, stops at the reply, and never holds a timer back", async () => {
    // a window of 200 ms (a pool's is 1 ms at most), so that a reply given at once is within it even on a busy machine
    const watch = IdleSpin.makeReplyWatch(200_000, 200)
    // no reply seen yet: the first send sleeps as before
    watch.sent()
    assert.isFalse(watch.turning())
    watch.replied()
    // that reply came within the window: the next send turns the loop
    watch.sent()
    assert.isTrue(watch.turning())
    // a timer still fires while it turns (a spin that blocked would let it fire only after the window)
    let turningWhenFired = false
    setTimeout(() => (turningWhenFired = watch.turning()), 0)
    await sleep(0)
    assert.isTrue(turningWhenFired)
    // the reply stops it at its next turn
    watch.replied()
    await nextTurns(2)
    assert.isFalse(watch.turning())
    // without a reply it stops at the end of its window
    watch.sent()
    assert.isTrue(watch.turning())
    await sleep(300)
    assert.isFalse(watch.turning())
    // a reply that took longer than the window: the next send sleeps
    watch.replied()
    watch.sent()
    assert.isFalse(watch.turning())
    // after that miss it needs two replies in a row within the window (then four, eight... up to 64)
    watch.replied()
    watch.sent()
    assert.isFalse(watch.turning())
    watch.replied()
    watch.sent()
    assert.isTrue(watch.turning())
    // stop (the pool has more in flight, or closed) ends it at once
    watch.stop()
    await nextTurns(2)
    assert.isFalse(watch.turning())
  })

  it("is off with idleSpin 0", () => {
    const watch = IdleSpin.makeReplyWatch(0)
    watch.sent()
    watch.replied()
    watch.sent()
    assert.isFalse(watch.turning())
  })
})
