/**
 * The work every library runs, as plain functions (no imports), so that every
 * worker, whatever its library, runs the same code.
 */

/** The tiny task. */
export const inc = (x: number): number => x + 1

/**
 * The CPU-bound task: `iterations` rounds of an FNV-style hash. The number of
 * iterations for ~20 ms is calibrated once per run by the harness.
 */
export const spin = (iterations: number): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < iterations; i++) {
    h ^= i & 0xff
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}

/** The buffer task: touch the array (so that it is really read) and send it back. */
export const touch = <A extends Float64Array>(array: A): A => {
  array[0] = array[0]! + 1
  return array
}
