import { Deque } from "./deque.js"

interface Waiter {
  active: boolean
  readonly enter: () => void
}

/**
 * The bound in front of a pool's queue: while the queue is full, callers wait
 * here in arrival order and are let in one at a time as room frees up (never
 * all at once).
 */
const alreadyEntered = () => false

export class Admission {
  private readonly waiters = new Deque<Waiter>()

  constructor(private readonly max: number) {}

  /** Whether a caller would enter at once: room in the queue and nobody waiting before it. */
  hasRoom(size: number): boolean {
    return size < this.max && this.waiters.length === 0
  }

  /**
   * Runs `enter` now if there is room and nobody is waiting, or later when
   * room frees up. The returned function withdraws a caller still waiting:
   * it returns false if the caller had entered already.
   */
  request(size: number, enter: () => void): () => boolean {
    if (this.hasRoom(size)) {
      enter()
      return alreadyEntered
    }
    let entered = false
    const waiter: Waiter = {
      active: true,
      enter: () => {
        entered = true
        enter()
      }
    }
    this.waiters.push(waiter)
    return () => {
      if (entered) return false
      waiter.active = false
      return true
    }
  }

  /** Lets waiting callers in while the queue has room. */
  admit(size: () => number): void {
    let waiter: Waiter | undefined
    while (size() < this.max && (waiter = this.waiters.shift()) !== undefined) {
      if (waiter.active) waiter.enter()
    }
  }

  /** Lets every waiting caller in at once (to fail them when the pool closes or breaks). */
  releaseAll(): void {
    let waiter: Waiter | undefined
    while ((waiter = this.waiters.shift()) !== undefined) {
      if (waiter.active) waiter.enter()
    }
  }
}
