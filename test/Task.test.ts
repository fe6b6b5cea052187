import { assert, describe, it } from "@effect/vitest"
import { Effect, Equal, Hash, Schema } from "effect"
import { Task, TestWorkerPool } from "../src/index.js"
import runner from "./fixtures/worker.js"
import { Square } from "./fixtures/tasks.js"

// Task classes build most instances without Schema's class constructor (internal/taskBuilder): each case
// compares a Task.Class with the plain Schema.TaggedRequest of the same tag and fields, whose constructor
// is the reference.

const fields = { x: Schema.Number, name: Schema.String, flag: Schema.Boolean, kind: Schema.Literal("a", "b") }
const spec = { payload: fields, success: Schema.Number, failure: Schema.Never }
class Simple extends Task.Class<Simple>()("Simple", spec) {}
class SimpleRef extends Schema.TaggedRequest<SimpleRef>()("Simple", spec) {}

const dated = { at: Schema.Date, n: Schema.Int }
class Dated extends Task.Class<Dated>()("Dated", { payload: dated, success: Schema.Number, failure: Schema.Never }) {}
class DatedRef extends Schema.TaggedRequest<DatedRef>()("Dated", {
  payload: dated,
  success: Schema.Number,
  failure: Schema.Never
}) {}

const refined = { n: Schema.Int, s: Schema.NonEmptyString, p: Schema.Number.pipe(Schema.positive()) }
class Refined extends Task.Class<Refined>()("Refined", { payload: refined, success: Schema.Number, failure: Schema.Never }) {}
class RefinedRef extends Schema.TaggedRequest<RefinedRef>()("Refined", {
  payload: refined,
  success: Schema.Number,
  failure: Schema.Never
}) {}

const declared = { array: Schema.instanceOf(Float64Array), at: Schema.ValidDateFromSelf, bytes: Schema.Uint8ArrayFromSelf }
class Declared extends Task.Class<Declared>()("Declared", { payload: declared, success: Schema.Number, failure: Schema.Never }) {}
class DeclaredRef extends Schema.TaggedRequest<DeclaredRef>()("Declared", {
  payload: declared,
  success: Schema.Number,
  failure: Schema.Never
}) {}

const defaulted = { x: Schema.Number, step: Schema.optionalWith(Schema.Number, { default: () => 1 }) }
class Defaulted extends Task.Class<Defaulted>()("Defaulted", {
  payload: defaulted,
  success: Schema.Number,
  failure: Schema.Never
}) {}
class DefaultedRef extends Schema.TaggedRequest<DefaultedRef>()("Defaulted", {
  payload: defaulted,
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** Own properties, in a stable order. */
const own = (u: object) => Object.fromEntries(Reflect.ownKeys(u).map((key) => [String(key), (u as any)[key]]).sort())

const thrown = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    return String(error)
  }
  return assert.fail("expected a throw")
}

describe("Task.Class instances", () => {
  it("have the own properties, prototype, equality and hash Schema's constructor gives them", () => {
    const props = { x: 2, name: "n", flag: true, kind: "a" as const }
    const task = new Simple(props)
    assert.deepStrictEqual(own(task), own(new SimpleRef(props)))
    assert.deepStrictEqual(Object.keys(task), ["_tag", "x", "name", "flag", "kind"])
    assert.instanceOf(task, Simple)
    assert.isTrue(Schema.is(Simple)(task))
    assert.strictEqual(String(task), String(new SimpleRef(props)))
    const twin = new Simple({ ...props })
    assert.isTrue(Equal.equals(task, twin))
    assert.strictEqual(Hash.hash(task), Hash.hash(twin))
    assert.isFalse(Equal.equals(task, new Simple({ ...props, x: 3 })))
  })

  it("drop excess properties and the caller's _tag, as Schema's constructor does", () => {
    const props = { x: 1, name: "n", flag: false, kind: "b", extra: 1, _tag: "Other" } as any
    assert.deepStrictEqual(own(new Simple(props)), own(new SimpleRef(props)))
    assert.strictEqual(new Simple(props)._tag, "Simple")
  })

  it("reject invalid props with Schema's own error", () => {
    const inherited = Object.create({ x: 1, name: "n", flag: true, kind: "a" })
    for (const props of [{ x: "1", name: "n", flag: true, kind: "a" }, { x: 1, name: "n", flag: true, kind: "c" }, {}, inherited]) {
      assert.strictEqual(thrown(() => new Simple(props as any)), thrown(() => new SimpleRef(props as any)))
    }
  })

  it("of struct fields reject an array and keep only the struct's keys, as Schema's constructor does", () => {
    const nested = { p: Schema.Struct({ length: Schema.Number }) }
    class Nested extends Task.Class<Nested>()("Nested", { payload: nested, success: Schema.Number, failure: Schema.Never }) {}
    class NestedRef extends Schema.TaggedRequest<NestedRef>()("Nested", {
      payload: nested,
      success: Schema.Number,
      failure: Schema.Never
    }) {}
    assert.strictEqual(thrown(() => new Nested({ p: [] as any })), thrown(() => new NestedRef({ p: [] as any })))
    const props = { p: { length: 2, extra: () => 1 } }
    assert.deepStrictEqual(own(new Nested(props).p), own(new NestedRef(props).p))
  })

  it("of refined fields (integers, non-empty strings, positive numbers) check their refinements", () => {
    assert.deepStrictEqual(own(new Refined({ n: 2, s: "a", p: 0.5 })), own(new RefinedRef({ n: 2, s: "a", p: 0.5 })))
    for (const props of [{ n: 1.5, s: "a", p: 1 }, { n: 1, s: "", p: 1 }, { n: 1, s: "a", p: -1 }, { n: 1, s: "a" }]) {
      assert.strictEqual(thrown(() => new Refined(props as any)), thrown(() => new RefinedRef(props as any)))
    }
  })

  it("of declared fields (instanceOf, DateFromSelf, Uint8ArrayFromSelf) check them as Schema does", () => {
    const valid = { array: new Float64Array(2), at: new Date(0), bytes: Uint8Array.of(1) }
    const task = new Declared(valid)
    assert.deepStrictEqual(own(task), own(new DeclaredRef(valid)))
    assert.strictEqual(task.array, valid.array)
    for (
      const props of [
        { ...valid, array: new Float32Array(2) },
        { ...valid, array: [0, 0] },
        { ...valid, at: new Date(Number.NaN) },
        { ...valid, at: "1970-01-01" },
        { ...valid, bytes: new Uint16Array(1) }
      ]
    ) {
      assert.strictEqual(thrown(() => new Declared(props as any)), thrown(() => new DeclaredRef(props as any)))
    }
  })

  it("with validation off take every property unchecked, as Schema's constructor does", () => {
    const props = { x: "not a number", extra: 1, _tag: "Other" } as any
    for (const option of [true, { disableValidation: true }]) {
      assert.deepStrictEqual(own(new Simple(props, option)), own(new SimpleRef(props, option)))
    }
  })

  it("of payloads with refinements, transformations or defaults are Schema's own", () => {
    const at = new Date(0)
    assert.deepStrictEqual(own(new Dated({ at, n: 3 })), own(new DatedRef({ at, n: 3 })))
    assert.strictEqual(thrown(() => new Dated({ at, n: 1.5 })), thrown(() => new DatedRef({ at, n: 1.5 })))
    assert.deepStrictEqual(own(new Defaulted({ x: 1 })), own(new DefaultedRef({ x: 1 })))
    assert.strictEqual(new Defaulted({ x: 1 }).step, 1)
    assert.deepStrictEqual(own(new Defaulted({ x: 1 }, true)), own(new DefaultedRef({ x: 1 }, true)))
  })

  it("run a subclass's own constructor and fields", () => {
    class Twice extends Simple {
      readonly doubled = this.x * 2
      readonly seen: number
      constructor(props: ConstructorParameters<typeof Simple>[0]) {
        super(props)
        this.seen = props.x
      }
      get tripled() {
        return this.x * 3
      }
    }
    const task = new Twice({ x: 5, name: "n", flag: true, kind: "a" })
    assert.instanceOf(task, Twice)
    assert.instanceOf(task, Simple)
    assert.strictEqual(task.doubled, 10)
    assert.strictEqual(task.seen, 5)
    assert.strictEqual(task.tripled, 15)
  })

  it("decode from their encoded form and encode back", () => {
    const decoded = Schema.decodeUnknownSync(Simple)({ _tag: "Simple", x: 4, name: "n", flag: true, kind: "b" })
    assert.instanceOf(decoded, Simple)
    assert.deepStrictEqual(own(decoded), own(new Simple({ x: 4, name: "n", flag: true, kind: "b" })))
    assert.deepStrictEqual(Schema.encodeSync(Simple)(decoded), {
      _tag: "Simple",
      x: 4,
      name: "n",
      flag: true,
      kind: "b"
    })
  })

  it.effect("run on a pool as before", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Square.run({ x: 7 }), 49)
    }).pipe(Effect.provide(TestWorkerPool.layer(runner))))
})
