import { assert, describe, it } from "@effect/vitest"
import type { FpnnErrorAnswer } from "@rtm-voice/fpnn-transport"
import { authFields, sign } from "@rtm-voice/voice-room"
import { Option, Redacted, Result } from "effect"
import { ReplayCache, verifyAuth } from "../src/Auth.js"

const config = { pid: 11000001, secret: Redacted.make("secret-key"), windowSeconds: 300 }
const NOW = 1_700_000_000_000
const signed = (method: string, ts = NOW / 1000, salt = 123n, secret = "secret-key", pid = 11000001) => ({
  ...authFields(pid, Redacted.make(secret), method, salt, ts),
  rid: 42
})

/** The error answer, or undefined when authentic (verifyAuth returns a Result). */
const verify = (payload: Record<string, unknown>, method = "closeVoiceRoom", now = NOW, replay = new ReplayCache()) =>
  Option.getOrUndefined(Result.getFailure(verifyAuth(config, replay, method, payload, now)))
const code = (e: FpnnErrorAnswer | undefined) => e?.code

describe("verifyAuth", () => {
  it("accepts the reference vector's request at its own time, sign in any case", () => {
    assert.isUndefined(verify(signed("closeVoiceRoom")))
    const lower = signed("closeVoiceRoom", NOW / 1000, 124n)
    assert.isUndefined(verify({ ...lower, sign: lower.sign.toLowerCase() }))
  })

  it("wrong secret, wrong pid, sign for another method → 200002", () => {
    assert.strictEqual(code(verify(signed("closeVoiceRoom", NOW / 1000, 1n, "other"))), 200002)
    assert.strictEqual(code(verify(signed("closeVoiceRoom", NOW / 1000, 1n, "secret-key", 11000002))), 200002)
    assert.strictEqual(code(verify(signed("closeRTCRoom"), "closeVoiceRoom")), 200002)
  })

  it("ts window is ±300 s inclusive → 200008 beyond", () => {
    const t = NOW / 1000
    assert.isUndefined(verify(signed("m", t - 300, 1n), "m"))
    assert.isUndefined(verify(signed("m", t + 300, 2n), "m"))
    assert.strictEqual(code(verify(signed("m", t - 301, 3n), "m")), 200008)
    assert.strictEqual(code(verify(signed("m", t + 301, 4n), "m")), 200008)
  })

  it("the same (salt, sign) twice → 200006; forgotten once its ts left the window", () => {
    const replay = new ReplayCache()
    const p = signed("m")
    assert.isUndefined(verify(p, "m", NOW, replay))
    assert.strictEqual(code(verify(p, "m", NOW + 1000, replay)), 200006)
    assert.isUndefined(verify(signed("m", NOW / 1000, 124n), "m", NOW, replay), "another salt is fine")
    // 302 s later the pair is pruned; the old payload now fails on ts instead.
    assert.strictEqual(code(verify(p, "m", NOW + 302_000, replay)), 200008)
    assert.strictEqual(replay.size, 0)
  })

  it("missing or mistyped auth fields → 10009 / 10010", () => {
    const p = signed("m")
    for (const key of ["pid", "sign", "salt", "ts"]) {
      const { [key]: _, ...rest } = p as Record<string, unknown>
      assert.strictEqual(code(verify(rest, "m")), 10009, key)
    }
    assert.strictEqual(code(verify({ ...p, pid: "11000001" }, "m")), 10010)
    assert.strictEqual(code(verify({ ...p, salt: 1.5 }, "m")), 10010)
    assert.strictEqual(code(verify({ ...p, ts: String(p.ts) }, "m")), 10010)
    assert.strictEqual(code(verify({ ...p, sign: 42 }, "m")), 10010)
  })

  it("salts beyond 2^53 are compared exactly", () => {
    const big = 27852800000002373n
    assert.isUndefined(verify(signed("m", NOW / 1000, big), "m"))
    assert.strictEqual(code(verify({ ...signed("m", NOW / 1000, big), salt: big + 1n }, "m")), 200002)
  })

  it("ts is compared exactly as an int64: 2^63 - 1 is out of the window (200008), not a bad signature", () => {
    const ts = 2n ** 63n - 1n
    const payload = {
      pid: config.pid,
      sign: sign({ pid: config.pid, secret: config.secret, salt: 7n, method: "m", ts }),
      salt: 7n,
      ts,
      rid: 42
    }
    assert.strictEqual(code(verify(payload, "m")), 200008)
    // One second off at the edge of the window is still told apart from the rounded float.
    assert.strictEqual(code(verify({ ...payload, ts: ts - 1n }, "m")), 200002)
  })
})
