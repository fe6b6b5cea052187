import type { WorkerPoolError } from "../Errors.js"
import * as Wire from "./wire.js"

/** The scheduler's view of a pool: plain callbacks, shared by every pool layer. */
export interface Core {
  readonly size: () => number
  /** Queues a request; `resolve` is called exactly once unless the returned canceller runs first. */
  readonly submit: (request: CoreRequest, resolve: (result: CoreResult) => void) => Cancel
  /** Queues a channel task: like `submit`, and messages flow both ways while it runs. */
  readonly open: (request: CoreRequest, events: ChannelEvents, resolve: (result: CoreResult) => void) => ChannelHandle
  /** Sends one request to every ready worker. */
  readonly broadcast: (request: CoreRequest, resolve: (results: ReadonlyArray<CoreResult>) => void) => () => void
  /** Grows or shrinks the pool: new workers start at once, extra ones finish their tasks and end; nothing queued is lost. */
  readonly resize: (size: number) => void
  /** The workers behind the pool now (threads or processes). */
  readonly workers: () => ReadonlyArray<WorkerInfo>
}

/**
 * Withdraws a request (or interrupts it in its worker). `onStopped`, if given, is called once the
 * task has let go: at once if it never started or has ended, else when its worker reports it
 * stopped (or the worker ends).
 */
export type Cancel = (onStopped?: () => void) => void

/** The Cancel of a request that never reached a worker: it has nothing to stop. */
export const stoppedAlready: Cancel = (onStopped) => onStopped?.()

/** A live view of one worker. */
export interface WorkerInfo {
  readonly id: number
  readonly pid: number | undefined
  readonly threadId: number | undefined
  readonly alive: () => boolean
  readonly exit: () => { readonly code: number | null; readonly signal: string | null } | undefined
  /** Calls `f` once the worker has exited (at once if it has). */
  readonly whenExited: (f: () => void) => void
  /** Ends the worker at once (SIGKILL for a process, terminate for a thread). */
  readonly kill: () => void
  /** Asks the worker to end: SIGTERM for a process; for a thread, the same as kill. */
  readonly terminate: () => void
}

export interface CoreRequest {
  readonly chunk: boolean
  /** Run in a fresh worker that is discarded after it. */
  readonly isolate: boolean
  readonly payload: unknown
  readonly tag: string
  readonly timeoutMs: number | undefined
  readonly span: Wire.SpanContext | undefined
  /** Buffers to move to the worker instead of copying them. */
  readonly transfer?: ReadonlyArray<unknown> | undefined
  /** Copies the payload's large buffers to move them to a worker thread (`Wire.Mover`), if it may have some. */
  readonly move?: Wire.Mover | undefined
  /** Called when the request is sent to its worker. */
  readonly onStart?: (() => void) | undefined
}

export type CoreResult = Wire.WireExit | Wire.ChunkExit | WorkerPoolError

/** What a running channel task sends to the main side. */
export interface ChannelEvents {
  readonly output: (encoded: unknown) => void
  readonly credit: (n: number) => void
}

/** A message from the main side to a channel task. */
export type ChannelMessage =
  | readonly [typeof Wire.REQ_INPUT | typeof Wire.REQ_CREDIT, unknown]
  | readonly [typeof Wire.REQ_END_INPUT]

export interface ChannelHandle {
  readonly push: (message: ChannelMessage) => void
  readonly cancel: () => void
}

export const requestKind = (request: CoreRequest, events: ChannelEvents | undefined) =>
  events !== undefined ? Wire.REQ_CHANNEL : request.chunk ? Wire.REQ_CHUNK : Wire.REQ_RUN

export const toRequest = (id: number, message: ChannelMessage): Wire.Request =>
  message[0] === Wire.REQ_END_INPUT ? [message[0], id] : [message[0], id, message[1]]

