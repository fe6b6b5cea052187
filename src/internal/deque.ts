/** A FIFO queue with O(1) push and shift (a growable ring buffer). */
export class Deque<A> {
  private items: Array<A | undefined> = new Array(16)
  private head = 0
  private count = 0

  get length(): number {
    return this.count
  }

  push(item: A): void {
    if (this.count === this.items.length) this.grow()
    this.items[(this.head + this.count) & (this.items.length - 1)] = item
    this.count++
  }

  peek(): A | undefined {
    return this.count === 0 ? undefined : this.items[this.head]
  }

  shift(): A | undefined {
    if (this.count === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) & (this.items.length - 1)
    this.count--
    return item
  }

  /** Puts items back at the front, keeping their order. */
  unshiftAll(items: ReadonlyArray<A>): void {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.count === this.items.length) this.grow()
      this.head = (this.head - 1) & (this.items.length - 1)
      this.items[this.head] = items[i]
      this.count++
    }
  }

  private grow(): void {
    const next: Array<A | undefined> = new Array(this.items.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)]
    this.items = next
    this.head = 0
  }
}
