/**
 * Task instances whose constructor validated their fields: the pool sends them
 * without checking them again. An instance made with validation disabled (or
 * by any other route) is not here, and is checked before it is sent.
 */
export const validated = new WeakSet<object>()

/** Whether Schema class constructor options ask to skip validation. */
export const skipsValidation = (options: unknown): boolean =>
  options === true ||
  (typeof options === "object" && options !== null &&
    (options as { readonly disableValidation?: boolean }).disableValidation === true)
