import type { Kind, ValueOf } from "../SharedArray.js"

type Typed =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array

interface KindInfo {
  readonly bytes: number
  readonly view: (buffer: SharedArrayBuffer, byteOffset: number, length: number) => Typed
  /** Floats are operated on through an integer view of their bits. */
  readonly bits: ((buffer: SharedArrayBuffer, byteOffset: number, length: number) => Int32Array | BigInt64Array) | undefined
}

const info: Record<Kind, KindInfo> = {
  int8: { bytes: 1, view: (b, o, l) => new Int8Array(b, o, l), bits: undefined },
  uint8: { bytes: 1, view: (b, o, l) => new Uint8Array(b, o, l), bits: undefined },
  int16: { bytes: 2, view: (b, o, l) => new Int16Array(b, o, l), bits: undefined },
  uint16: { bytes: 2, view: (b, o, l) => new Uint16Array(b, o, l), bits: undefined },
  int32: { bytes: 4, view: (b, o, l) => new Int32Array(b, o, l), bits: undefined },
  uint32: { bytes: 4, view: (b, o, l) => new Uint32Array(b, o, l), bits: undefined },
  bigint64: { bytes: 8, view: (b, o, l) => new BigInt64Array(b, o, l), bits: undefined },
  biguint64: { bytes: 8, view: (b, o, l) => new BigUint64Array(b, o, l), bits: undefined },
  float32: {
    bytes: 4,
    view: (b, o, l) => new Float32Array(b, o, l),
    bits: (b, o, l) => new Int32Array(b, o, l)
  },
  float64: {
    bytes: 8,
    view: (b, o, l) => new Float64Array(b, o, l),
    bits: (b, o, l) => new BigInt64Array(b, o, l)
  }
}

export const isKind = (u: unknown): u is Kind => typeof u === "string" && Object.hasOwn(info, u)

const f32 = new Float32Array(1)
const f32Bits = new Int32Array(f32.buffer)
const f64 = new Float64Array(1)
const f64Bits = new BigInt64Array(f64.buffer)

/**
 * The elements of one SharedArrayBuffer region as `kind`, with atomic operations. Integer kinds use
 * Atomics directly; float kinds use Atomics on an integer view of the same bytes, so that loads and
 * stores never tear and read-modify-write operations are compare-and-swap loops.
 */
export class Cells<K extends Kind = Kind> {
  readonly view: Typed
  private readonly atomic: any
  private readonly toBits: (value: number) => any
  private readonly fromBits: (bits: any) => number

  constructor(
    readonly kind: K,
    readonly buffer: SharedArrayBuffer,
    readonly byteOffset: number,
    readonly length: number
  ) {
    const kindInfo = info[kind]
    this.view = kindInfo.view(buffer, byteOffset, length)
    this.atomic = kindInfo.bits === undefined ? this.view : kindInfo.bits(buffer, byteOffset, length)
    if (kind === "float32") {
      this.toBits = (value) => (f32[0] = value, f32Bits[0]!)
      this.fromBits = (bits: number) => (f32Bits[0] = bits, f32[0]!)
    } else if (kind === "float64") {
      this.toBits = (value) => (f64[0] = value, f64Bits[0]!)
      this.fromBits = (bits: bigint) => (f64Bits[0] = bits, f64[0]!)
    } else {
      this.toBits = identity
      this.fromBits = identity
    }
  }

  /** Why `(kind, buffer, byteOffset, length)` does not describe a valid region, if it does not. */
  static invalid(kind: unknown, buffer: SharedArrayBuffer, byteOffset: number, length: number): string | undefined {
    if (!isKind(kind)) return `unknown kind ${String(kind)}`
    const bytes = info[kind].bytes
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset % bytes !== 0) {
      return `byteOffset ${byteOffset} is not a non-negative multiple of ${bytes}`
    }
    if (!Number.isSafeInteger(length) || length < 0 || byteOffset + length * bytes > buffer.byteLength) {
      return `${length} elements of ${bytes} bytes from byte ${byteOffset} do not fit in ${buffer.byteLength} bytes`
    }
    return undefined
  }

  static alloc<K extends Kind>(kind: K, length: number): Cells<K> {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`a length must be a non-negative integer, got ${length}`)
    }
    return new Cells(kind, new SharedArrayBuffer(length * info[kind].bytes), 0, length)
  }

  check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`index ${index} is out of bounds for a shared array of length ${this.length}`)
    }
  }

  load(index: number): ValueOf<K> {
    return this.fromBits(Atomics.load(this.atomic, index)) as ValueOf<K>
  }

  store(index: number, value: ValueOf<K>): void {
    Atomics.store(this.atomic, index, this.toBits(value as number))
  }

  exchange(index: number, value: ValueOf<K>): ValueOf<K> {
    return this.fromBits(Atomics.exchange(this.atomic, index, this.toBits(value as number))) as ValueOf<K>
  }

  compareExchange(index: number, expected: ValueOf<K>, replacement: ValueOf<K>): ValueOf<K> {
    return this.fromBits(
      Atomics.compareExchange(this.atomic, index, this.toBits(expected as number), this.toBits(replacement as number))
    ) as ValueOf<K>
  }

  add(index: number, delta: ValueOf<K>): ValueOf<K> {
    if (this.atomic === this.view) return Atomics.add(this.atomic, index, delta as any) as ValueOf<K>
    return this.getAndUpdate(index, (value) => ((value as number) + (delta as number)) as ValueOf<K>)
  }

  sub(index: number, delta: ValueOf<K>): ValueOf<K> {
    if (this.atomic === this.view) return Atomics.sub(this.atomic, index, delta as any) as ValueOf<K>
    return this.getAndUpdate(index, (value) => ((value as number) - (delta as number)) as ValueOf<K>)
  }

  and(index: number, mask: ValueOf<K>): ValueOf<K> {
    return Atomics.and(this.atomic, index, mask as any) as ValueOf<K>
  }

  or(index: number, mask: ValueOf<K>): ValueOf<K> {
    return Atomics.or(this.atomic, index, mask as any) as ValueOf<K>
  }

  xor(index: number, mask: ValueOf<K>): ValueOf<K> {
    return Atomics.xor(this.atomic, index, mask as any) as ValueOf<K>
  }

  /** Applies `f` atomically (retried until no other thread wrote in between); returns the old value. */
  getAndUpdate(index: number, f: (value: ValueOf<K>) => ValueOf<K>): ValueOf<K> {
    for (;;) {
      const bits = Atomics.load(this.atomic, index)
      const next = this.toBits(f(this.fromBits(bits) as ValueOf<K>) as number)
      if (Atomics.compareExchange(this.atomic, index, bits, next) === bits) return this.fromBits(bits) as ValueOf<K>
    }
  }

  /** Like `getAndUpdate`, returning the value as stored (after the element type's conversion). */
  updateAndGet(index: number, f: (value: ValueOf<K>) => ValueOf<K>): ValueOf<K> {
    for (;;) {
      const bits = Atomics.load(this.atomic, index)
      const next = this.coerce(f(this.fromBits(bits) as ValueOf<K>))
      if (Atomics.compareExchange(this.atomic, index, bits, this.toBits(next as number)) === bits) return next
    }
  }

  /** The value as an element of this kind would hold it (wrapped, rounded). */
  coerce(value: ValueOf<K>): ValueOf<K> {
    const scratch = scratchOf(this.kind)
    scratch[0] = value as never
    return scratch[0] as ValueOf<K>
  }

  toArray(): Array<ValueOf<K>> {
    const out = new Array<ValueOf<K>>(this.length)
    for (let i = 0; i < this.length; i++) out[i] = this.load(i)
    return out
  }
}

const scratches = new Map<Kind, Typed>()
const scratchOf = (kind: Kind): Typed => {
  let scratch = scratches.get(kind)
  if (scratch === undefined) {
    scratch = info[kind].view(new SharedArrayBuffer(8), 0, 1)
    scratches.set(kind, scratch)
  }
  return scratch
}

const identity = <A>(a: A): A => a
