import { Cause, Effect, Exit, Fiber, FiberStatus, Schedule } from "effect"
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "effect-parallel-"))

/** Waits for a condition that another thread or process makes true (polled, bounded). */
export const waitFor = (what: string, condition: () => boolean, millis = 20_000) =>
  Effect.suspend(() => condition() ? Effect.void : Effect.fail(what)).pipe(
    Effect.retry(Schedule.spaced("10 millis").pipe(Schedule.upTo(millis))),
    Effect.orDieWith((what) => new Error(`timed out waiting for ${what}`))
  )

/** Waits until `fiber` is suspended (blocked in an async wait), yielding between looks. */
export const suspended = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Effect.iterate(false, {
    while: (done) => !done,
    body: () => Effect.zipRight(Effect.yieldNow(), Effect.map(Fiber.status(fiber), FiberStatus.isSuspended))
  })

/** The rendered cause of a failed exit (a defect's message included). */
export const defectMessage = <A, E>(exit: Exit.Exit<A, E>): string =>
  Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "not a failure"

export const fileSays = (path: string): string | undefined => existsSync(path) ? readFileSync(path, "utf8") : undefined

/** The number of OS threads of this process (Linux). */
export const threadCount = (): number => readdirSync("/proc/self/task").length

/** The pids of the live child processes of `pid` whose command is `comm` (Linux). */
export const childPids = (pid: number, comm = "node"): Array<number> =>
  readdirSync("/proc").filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8")
      const close = stat.lastIndexOf(")")
      const command = stat.slice(stat.indexOf("(") + 1, close)
      const ppid = Number(stat.slice(close + 2).split(" ")[1])
      return ppid === pid && command === comm ? [Number(name)] : []
    } catch {
      return []
    }
  })

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
