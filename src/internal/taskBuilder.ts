import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { checkOf } from "./quickCheck.js"

/**
 * Builds a task instance without Schema's class constructor, or returns undefined to let that constructor run.
 *
 * Schema's class constructor copies its props, removes `_tag`, merges constructor defaults, validates the result
 * against the whole constructor Schema and assigns it: ~1.2 µs a task here (~0.9 µs with validation off, as when a
 * worker decodes a task), more than the rest of a tiny task's trip. The instance it makes is the class's prototype
 * with `_tag` and the fields as own properties, which this builds directly (~0.06 µs) when the payload allows it:
 * every field is a plain Schema (no property signature, so no constructor default), and, unless validation is
 * off, the type side of every field has a check as simple as `typeof` (see quickCheck).
 * Anything else, props that fail a check included, goes to Schema's constructor, which makes or throws exactly
 * what it always did. A subclass's own constructor and fields still run on the instance returned here.
 */
export type Builder = (prototype: object, props: unknown, options: unknown) => object | undefined

const validationOff = (options: unknown): boolean =>
  typeof options === "boolean" ? options : (options as { disableValidation?: boolean } | undefined)?.disableValidation ?? false

export const make = (tag: string, fields: Schema.Struct.Fields): Builder | undefined => {
  const keys = Reflect.ownKeys(fields)
  if (keys.some((key) => typeof key !== "string" || key === "_tag" || Schema.isPropertySignature(fields[key]))) {
    return undefined
  }
  const names = keys as ReadonlyArray<string>
  // the constructor validates the type side of each field (a transformation's, `Task.transferable`'s, is what it makes)
  const checks = names.map((key) => checkOf(SchemaAST.typeAST((fields[key] as Schema.Schema.Any).ast)))
  const checkable = checks.every((check) => check !== undefined)
  return (prototype, props, options) => {
    if (typeof props !== "object" || props === null) return undefined
    const record = props as Record<string, unknown>
    const instance = Object.create(prototype) as Record<string, unknown>
    instance._tag = tag
    if (validationOff(options)) {
      // as Schema's constructor: every own property, unchecked, and the class's own `_tag`
      Object.assign(instance, record)
      instance._tag = tag
      return instance
    }
    // Schema's constructor validates a copy of the own properties only: props with a prototype of their own go to it
    const proto = Object.getPrototypeOf(record)
    if (!checkable || (proto !== Object.prototype && proto !== null)) return undefined
    for (let i = 0; i < names.length; i++) {
      const value = record[names[i]!]
      if (!checks[i]!(value)) return undefined
      instance[names[i]!] = value
    }
    return instance
  }
}
