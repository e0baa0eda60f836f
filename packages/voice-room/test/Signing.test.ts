import { assert, describe, it } from "@effect/vitest"
import { Codec, Frame } from "@rtm-voice/fpnn-transport"
import { toHex, vector, vectors } from "@rtm-voice/test-support"
import { Redacted } from "effect"
import { buildRequest, type Dialect, operationByWireMethod, Operations } from "../src/Operations.js"
import { authFields, makeSaltGenerator, nextSalt, sign } from "../src/Signing.js"

describe("sign", () => {
  for (const name of ["sign_basic", "sign_large_salt"]) {
    it(name, () => {
      const d = vector(name).decoded
      const out = sign({
        pid: d.pid,
        secret: Redacted.make(d.secret),
        salt: BigInt(d.salt),
        method: d.method,
        ts: d.ts
      })
      assert.strictEqual(out, d.sign)
      assert.strictEqual(out.toLowerCase(), vector(name).hex)
    })
  }

  it("renders the salt from its exact 64-bit value", () => {
    // 2^53 + 1 as a number would round to 2^53 and change the digest.
    const exact = sign({ pid: 1, secret: "s", salt: 2n ** 53n + 1n, method: "m", ts: 1 })
    const rounded = sign({ pid: 1, secret: "s", salt: 2n ** 53n, method: "m", ts: 1 })
    assert.notStrictEqual(exact, rounded)
  })
})

describe("salt", () => {
  it("never repeats and stays increasing when the clock steps back or stalls", () => {
    let now = 1_700_000_000_000
    const next = makeSaltGenerator(() => now, 37)
    const a = next()
    assert.strictEqual(a, (1_700_000_000_000n << 21n) | (37n << 10n))
    const b = next() // same millisecond
    now -= 60_000 // clock stepped back a minute
    const c = next()
    now += 120_000
    const d = next()
    assert.deepStrictEqual([b - a, c - b], [1n, 1n])
    assert.strictEqual(d, (BigInt(now) << 21n) | (37n << 10n))
    assert.isTrue(d < 2n ** 63n) // a positive int64 until the year 2109
  })

  it("more than 1024 salts in one millisecond run ahead of the clock instead of repeating", () => {
    const next = makeSaltGenerator(() => 1_700_000_000_000, 5)
    const salts = Array.from({ length: 3000 }, next)
    for (let i = 1; i < salts.length; i++) assert.isTrue(salts[i]! > salts[i - 1]!)
    // the instance bits are never overwritten by the counter
    for (const s of salts) assert.strictEqual((s >> 10n) & 0x7ffn, 5n)
  })

  it("two generators (two processes) in the same millisecond do not collide", () => {
    const now = () => 1_700_000_000_000
    const a = makeSaltGenerator(now, 1)
    const b = makeSaltGenerator(now, 2)
    const fromA = new Set(Array.from({ length: 500 }, a))
    for (let i = 0; i < 500; i++) assert.isFalse(fromA.has(b()))
  })

  it("the process-wide generator yields 10,000 distinct values in a burst", () => {
    const seen = new Set<bigint>()
    for (let i = 0; i < 10_000; i++) seen.add(nextSalt())
    assert.strictEqual(seen.size, 10_000)
  })
})

// The eight VoiceRoom-era quests of RTM-VOICE.md §7, byte for byte: pid 11000001,
// secret "secret-key", salt 123, ts 1700000000, seq 1, keys in Go SDK order.
describe("rtm_quest vectors", () => {
  const quests = vectors.filter((v) => v.name.startsWith("rtm_quest_"))
  it("there are eight", () => assert.strictEqual(quests.length, 8))

  for (const v of quests) {
    it(v.name, () => {
      const method: string = v.decoded.method
      const entry = operationByWireMethod.get(method)
      assert.isDefined(entry)
      const operation = entry!.operation
      const dialect: Dialect = "voice"
      const wire = v.decoded.payload as Record<string, unknown>
      const args = operation.params.map((p) => {
        const value = wire[p.key]
        return Array.isArray(value) ? value.map((x) => BigInt(x)) : typeof value === "number" ? BigInt(value) : value
      })
      const fields = buildRequest(operation, dialect, args)
      if ("_tag" in fields) throw fields
      const payload = { ...authFields(11000001, Redacted.make("secret-key"), method, 123n, 1700000000), ...fields }
      assert.strictEqual(payload.sign, wire["sign"])
      assert.strictEqual(toHex(Frame.encodeQuest(method, 1, Codec.encodePayload(payload))), v.hex)
    })
  }

  it("covers every operation but adminCommand (which has no VoiceRoom-era vector)", () => {
    const covered = new Set(quests.map((v) => operationByWireMethod.get(v.decoded.method)!.operation.name))
    assert.deepStrictEqual(
      Object.keys(Operations).filter((n) => !covered.has(n as never)),
      ["adminCommand"]
    )
  })
})
