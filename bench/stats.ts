/** Small statistics helpers. */

export const sorted = (xs: ReadonlyArray<number>): Array<number> => [...xs].sort((a, b) => a - b)

/** The q-quantile (0..1) by nearest rank. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return NaN
  const s = sorted(xs)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const s = sorted(xs)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export const min = (xs: ReadonlyArray<number>): number => Math.min(...xs)
export const max = (xs: ReadonlyArray<number>): number => Math.max(...xs)

export function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i
}

export const iota = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

/** Throws unless `out[i] === i + 1` for every i: every adapter must really have run the tasks. */
export const checkInc = (out: ReadonlyArray<number>, n: number): void => {
  if (out.length !== n) throw new Error(`expected ${n} results, got ${out.length}`)
  for (let i = 0; i < n; i++) {
    if (out[i] !== i + 1) throw new Error(`result ${i} is ${out[i]}, expected ${i + 1}`)
  }
}

/** The sum of inc(i) for i < n. */
export const incSum = (n: number): number => (n * (n + 1)) / 2
