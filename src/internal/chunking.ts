/** The largest number of items sent to a worker in one message by `chunkSize: "auto"`. */
export const MAX_AUTO_CHUNK = 1024

/**
 * multiprocessing's rule for a known number of items: about four chunks per
 * worker, so that uneven items still balance, capped so a chunk stays small.
 */
export const autoChunkSize = (length: number, workers: number): number =>
  Math.max(1, Math.min(MAX_AUTO_CHUNK, Math.ceil(length / (Math.max(1, workers) * 4))))

/** The time one chunk should take on a worker when the number of items is not known. */
export const TARGET_CHUNK_MILLIS = 2

/**
 * For inputs of unknown length (iterables, Streams): start with one item per
 * message and grow or shrink the chunk so that a chunk takes about
 * `TARGET_CHUNK_MILLIS` on a worker, given the measured time per item.
 */
export const nextChunkSize = (millisPerItem: number): number => {
  if (!(millisPerItem > 0)) return MAX_AUTO_CHUNK
  return Math.max(1, Math.min(MAX_AUTO_CHUNK, Math.floor(TARGET_CHUNK_MILLIS / millisPerItem)))
}
