import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { VoiceRoomValidationError } from "../src/Errors.js"
import { Int32, Int64, INT64_MAX, INT64_MIN, toBoolean, toChoice, toInt64, toInt64List } from "../src/Ids.js"

const rejected = (out: unknown, parameter: string): VoiceRoomValidationError => {
  assert.instanceOf(out, VoiceRoomValidationError)
  const e = out as VoiceRoomValidationError
  assert.strictEqual(e.parameter, parameter)
  assert.strictEqual(e.operation, "op")
  assert.include(e.message, parameter)
  return e
}

describe("toInt64", () => {
  it("accepts safe integers and int64 bigints, returning bigint", () => {
    assert.strictEqual(toInt64("op", "roomId", 42), 42n)
    assert.strictEqual(toInt64("op", "roomId", -7), -7n)
    assert.strictEqual(toInt64("op", "roomId", Number.MAX_SAFE_INTEGER), 2n ** 53n - 1n)
    assert.strictEqual(toInt64("op", "roomId", INT64_MAX), INT64_MAX)
    assert.strictEqual(toInt64("op", "roomId", INT64_MIN), INT64_MIN)
  })

  it("rejects unsafe numbers and points to bigint", () => {
    const e = rejected(toInt64("op", "roomId", 2 ** 53 + 2), "roomId")
    assert.include(e.message, "bigint")
    assert.include(e.message, "9007199254740994n")
  })

  it("rejects non-integers, NaN, Infinity, out-of-range bigints, wrong types", () => {
    for (
      const bad of [1.5, NaN, Infinity, -Infinity, INT64_MAX + 1n, INT64_MIN - 1n, "42", null, undefined, {}, [1], true]
    ) {
      rejected(toInt64("op", "uid", bad), "uid")
    }
  })
})

describe("toInt64List", () => {
  it("converts every element", () => {
    assert.deepStrictEqual(toInt64List("op", "uids", [1, 2n ** 63n - 1n]), [1n, 2n ** 63n - 1n])
  })
  it("rejects an empty list, a non-array and names the bad element", () => {
    assert.include(rejected(toInt64List("op", "uids", []), "uids").message, "at least one")
    rejected(toInt64List("op", "uids", 5), "uids")
    rejected(toInt64List("op", "uids", "1,2"), "uids")
    rejected(toInt64List("op", "uids", [1, 2, 0.5]), "uids[2]")
  })
})

describe("toBoolean / toChoice", () => {
  it("only booleans and the listed names pass", () => {
    assert.strictEqual(toBoolean("op", "status", false), false)
    rejected(toBoolean("op", "status", 1), "status")
    rejected(toBoolean("op", "status", "true"), "status")
    assert.strictEqual(toChoice("op", "command", ["a", "b"], "b"), "b")
    rejected(toChoice("op", "command", ["a", "b"], "c"), "command")
    rejected(toChoice("op", "command", ["a", "b"], 0), "command")
  })
})

describe("Int64 / Int32 schemas (answers)", () => {
  it.effect("number or bigint in, bigint out; floats, strings and > int64 rejected", () =>
    Effect.gen(function*() {
      const decode = Schema.decodeUnknownEffect(Int64)
      assert.strictEqual(yield* decode(7), 7n)
      assert.strictEqual(yield* decode(2n ** 63n - 1n), 2n ** 63n - 1n)
      for (const bad of [1.5, "7", 2n ** 63n, null]) {
        assert.strictEqual((yield* Effect.flip(decode(bad)))._tag, "SchemaError")
      }
      const count = Schema.decodeUnknownEffect(Int32)
      assert.strictEqual(yield* count(3), 3)
      assert.strictEqual((yield* Effect.flip(count(2 ** 31)))._tag, "SchemaError")
    }))
})
