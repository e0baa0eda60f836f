import { describe, expect, it } from "@effect/vitest"
import { hex, toHex, vectors } from "@rtm-voice/test-support"
import fc from "fast-check"
import { decodeJsonPayload, decodePayload, encodePayload } from "../src/Codec.js"
import { encodeAnswer, encodeQuest, type Frame, FrameReader } from "../src/Frame.js"
import * as Codec from "../src/internal/codec/QuestWriter.js"
import { joinAdjacent } from "../src/internal/frame/Wire.js"

const frameVectors = vectors.filter((v) => v.decoded?.magic === "FPNN")
// Produced by the C++ framework's writers (FPQWriter/FPAWriter): smallest integer
// forms, call-order keys. Ours must match them byte for byte.
const cppVectors = frameVectors.filter((v) => v.source.startsWith("produced by running highras/fpnn "))

const readAll = (bytes: Uint8Array, chunkSizes?: ReadonlyArray<number>): Array<Frame> => {
  const reader = new FrameReader()
  const frames: Array<Frame> = []
  let off = 0
  let i = 0
  while (off < bytes.length) {
    const size = chunkSizes === undefined ? bytes.length : Math.max(1, chunkSizes[i++ % chunkSizes.length]!)
    const err = reader.push(bytes.subarray(off, off + size), (f) => void frames.push(f))
    if (err) throw err
    off += size
  }
  expect(reader.buffered).toBe(0)
  return frames
}

// Vectors write 64-bit integers as decimal strings and bytes as {$bin: hex}.
const sameValue = (actual: unknown, expected: unknown): boolean => {
  if (typeof expected === "string" && (typeof actual === "bigint" || typeof actual === "number")) {
    return String(actual) === expected
  }
  if (expected !== null && typeof expected === "object" && "$bin" in expected) {
    return actual instanceof Uint8Array && toHex(actual) === (expected as { $bin: string }).$bin
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((e, i) => sameValue(actual[i], e))
  }
  if (expected !== null && typeof expected === "object") {
    const a = actual as Record<string, unknown>
    return Object.keys(expected).every((k) => sameValue(a[k], (expected as Record<string, unknown>)[k])) &&
      Object.keys(a).length === Object.keys(expected).length
  }
  return actual === expected
}

describe("FPNN framing against the reference vectors", () => {
  it("has the frame vectors", () => {
    expect(frameVectors.length).toBeGreaterThanOrEqual(30)
    expect(cppVectors.length).toBeGreaterThanOrEqual(20)
  })

  for (const v of frameVectors) {
    it(`decodes ${v.name}`, () => {
      const bytes = hex(v.hex)
      const [frame, ...rest] = readAll(bytes)
      expect(rest).toHaveLength(0)
      const d = v.decoded
      expect(frame!.version).toBe(d.version)
      expect(frame!.flag).toBe(parseInt(d.flag, 16))
      expect(bytes.length).toBe(d.total_length)
      if (d.mtype === 2) {
        expect(frame!._tag).toBe("Answer")
        if (frame!._tag === "Answer") {
          expect(frame!.status).toBe(d.ss)
          expect(frame!.seq).toBe(d.seq)
        }
      } else {
        expect(frame!._tag).toBe("Quest")
        if (frame!._tag === "Quest") {
          expect(frame!.twoway).toBe(d.mtype === 1)
          expect(frame!.method).toBe(d.method)
          if (d.mtype === 1) expect(frame!.seq).toBe(d.seq)
        }
      }
      expect(frame!.payload.length).toBe(d.psize)
      if (d.payload !== undefined) {
        const payload = decodePayload(frame!.payload)
        expect(sameValue(payload, d.payload), JSON.stringify(payload, (_, x) => typeof x === "bigint" ? `${x}n` : x))
          .toBe(true)
        // 64-bit values beyond 2^53 must come back exact, as bigint.
        for (const [k, t] of Object.entries(d.msgpack_value_types ?? {})) {
          if ((t === "0xcf" || t === "0xd3") && typeof d.payload[k] === "string" && BigInt(d.payload[k]) > 2n ** 53n) {
            expect(typeof payload[k]).toBe("bigint")
          }
        }
      } else if (d.payload_json_text !== undefined) {
        expect(decodeJsonPayload(frame!.payload)).toEqual(JSON.parse(d.payload_json_text))
      }
    })
  }

  for (const v of cppVectors) {
    it(`re-encodes ${v.name} byte for byte`, () => {
      const [frame] = readAll(hex(v.hex))
      const payload = encodePayload(decodePayload(frame!.payload))
      const bytes = frame!._tag === "Answer"
        ? encodeAnswer(frame!.seq, frame!.status, payload, frame!.flag, frame!.version)
        : encodeQuest(frame!.method, frame!.twoway ? frame!.seq : undefined, payload, frame!.flag)
      expect(toHex(bytes)).toBe(v.hex)
    })
  }

  it("decodes every frame vector concatenated, in any chunking", () => {
    const all = Buffer.concat(frameVectors.map((v) => hex(v.hex)))
    const whole = readAll(all).map((f) => toHex(f.payload))
    expect(whole).toHaveLength(frameVectors.length)
    expect(readAll(all, [1]).map((f) => toHex(f.payload))).toEqual(whole)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(readAll(all, sizes).map((f) => toHex(f.payload))).toEqual(whole)
      }),
      { numRuns: 200 }
    )
  })
})

describe("codec integer rules", () => {
  const typeOf = (payload: Record<string, unknown>): string => toHex(encodePayload(payload)).slice(2 + 4)

  it("writes integers in their smallest form, unsigned when non-negative, never as float", () => {
    expect(toHex(encodePayload({ n: 0 }))).toBe("81a16e00")
    expect(toHex(encodePayload({ n: 127 }))).toBe("81a16e7f")
    expect(toHex(encodePayload({ n: 200 }))).toBe("81a16eccc8")
    expect(toHex(encodePayload({ n: 65535 }))).toBe("81a16ecdffff")
    expect(toHex(encodePayload({ n: 2 ** 32 - 1 }))).toBe("81a16eceffffffff")
    expect(toHex(encodePayload({ n: 2 ** 32 }))).toBe("81a16ecf0000000100000000")
    expect(toHex(encodePayload({ n: 1700000000123 }))).toBe("81a16ecf0000018bcfe5687b")
    expect(toHex(encodePayload({ n: -5 }))).toBe("81a16efb")
    expect(toHex(encodePayload({ n: -200 }))).toBe("81a16ed1ff38")
    expect(toHex(encodePayload({ n: -(2 ** 31) - 1 }))).toBe("81a16ed3ffffffff7fffffff")
    expect(typeOf({ n: 1.5 })).toBe("cb3ff8000000000000")
  })

  it("writes bigints in the same smallest forms", () => {
    expect(toHex(encodePayload({ n: 123n }))).toBe("81a16e7b")
    expect(toHex(encodePayload({ n: -1n }))).toBe("81a16eff")
    expect(toHex(encodePayload({ n: 2n ** 53n + 1n }))).toBe("81a16ecf0020000000000001")
    expect(toHex(encodePayload({ n: 2n ** 64n - 1n }))).toBe("81a16ecfffffffffffffffff")
    expect(toHex(encodePayload({ n: -(2n ** 63n) }))).toBe("81a16ed38000000000000000")
    expect(() => encodePayload({ n: 2n ** 64n })).toThrow(/does not fit in 64 bits/)
    expect(() => encodePayload({ n: -(2n ** 63n) - 1n })).toThrow(/does not fit in 64 bits/)
  })

  it("uses fixmap headers and drops undefined fields", () => {
    const small = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]))
    expect(toHex(encodePayload(small)).slice(0, 2)).toBe("8f")
    expect(toHex(encodePayload({ a: 1, b: undefined, c: [1n, 2 ** 40] }))).toBe(
      "82a16101a16392" + "01" + "cf0000010000000000"
    )
  })

  it("round-trips random payloads, int64 exact", () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
    const leaf = fc.oneof(
      int64,
      fc.integer(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.uint8Array({ maxLength: 40 })
    )
    // msgpackr renames a "__proto__" key on decode (prototype-pollution guard); FPNN
    // field names never use it.
    const key = fc.string().filter((k) => k !== "__proto__")
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("v"), { maxLength: 5 }),
        fc.dictionary(key, tie("v"), { maxKeys: 5 })
      )
    })).v
    // Integers come back as number when safe, bigint beyond ±2^53: compare as bigint.
    const canon = (x: unknown): unknown => {
      if (typeof x === "bigint") return x
      if (typeof x === "number" && Number.isInteger(x)) return BigInt(x)
      if (x instanceof Uint8Array) return toHex(x)
      if (Array.isArray(x)) return x.map(canon)
      if (x !== null && typeof x === "object") {
        return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, canon(v)]))
      }
      return x
    }
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), (payload) => {
        const decoded = decodePayload(encodePayload(payload))
        expect(canon(decoded)).toEqual(canon(payload))
        const walk = (x: unknown): void => {
          if (typeof x === "number") expect(Number.isSafeInteger(x) || !Number.isInteger(x)).toBe(true)
          else if (typeof x === "bigint") expect(x > 2n ** 53n || x < -(2n ** 53n)).toBe(true)
          else if (Array.isArray(x)) x.forEach(walk)
          else if (x !== null && typeof x === "object" && !(x instanceof Uint8Array)) Object.values(x).forEach(walk)
        }
        walk(decoded)
      }),
      { numRuns: 300 }
    )
  })

  it("rejects payloads whose root is not a map, and garbage", () => {
    expect(() => decodePayload(hex("9101"))).toThrow(/root is not a map/)
    expect(() => decodePayload(hex("c1"))).toThrow(/root is not a map/)
    expect(() => decodePayload(hex("82a161"))).toThrow(/not valid msgpack/)
    expect(() => decodePayload(hex("81a16101ff"))).toThrow(/not valid msgpack/)
  })
})

describe("frame reader rejections", () => {
  const quest = encodeQuest("m", 1, encodePayload({}))
  const expectReason = (bytes: Uint8Array, reason: string, max?: number) => {
    const reader = new FrameReader(max === undefined ? {} : { maxFrameBytes: max })
    const err = reader.push(bytes, () => {})
    expect(err?._tag).toBe("FpnnProtocolError")
    expect(err?.reason?._tag).toBe(reason)
    // the reader stays failed: the stream has no frame boundary left
    expect(reader.push(quest, () => expect.unreachable())?.reason._tag).toBe(reason)
  }
  const patch = (at: number, byte: number) => {
    const b = Buffer.from(quest)
    b[at] = byte
    return b
  }

  it("bad magic (e.g. an HTTP error page)", () =>
    expectReason(Buffer.from("HTTP/1.1 500 Internal Server Error\r\n\r\n"), "BadMagic"))
  it("unsupported version", () => expectReason(patch(4, 2), "UnsupportedVersion"))
  it("unsupported flag", () => {
    expectReason(patch(5, 0x00), "UnsupportedFlag")
    expectReason(patch(5, 0xc0), "UnsupportedFlag")
  })
  it("ignores the unused ZIP/ENCRYPT flag bits like the C++ server", () => {
    const frames: Array<Frame> = []
    expect(new FrameReader().push(patch(5, 0x90), (f) => void frames.push(f))).toBeUndefined()
    expect(frames).toHaveLength(1)
  })
  it("unsupported message type", () => expectReason(patch(6, 3), "UnsupportedType"))
  it("empty method name", () => expectReason(patch(7, 0), "EmptyMethod"))
  it("a header claiming a 4 GiB payload is rejected from the header alone", () => {
    const b = Buffer.from(quest.subarray(0, 12))
    b.writeUInt32LE(0xffffffff, 8)
    expectReason(b, "Oversized")
  })
  it("a frame over a configured maximum", () => expectReason(encodeQuest("m", 1, new Uint8Array(100)), "Oversized", 64))
  it("garbage split across chunks is still detected", () => {
    const reader = new FrameReader()
    expect(reader.push(Buffer.from("HTT"), () => {})).toBeUndefined()
    expect(reader.push(Buffer.from("P/1.1 404 Not Found\r\n"), () => {})?.reason._tag).toBe("BadMagic")
  })
})

describe("quest frames on the hot path", () => {
  const encodeQuestFrame = Codec.encodeQuestFrame
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
  const scalar = fc.oneof(
    int64,
    fc.integer(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.constantFrom(
      0,
      -0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      -(2 ** 31),
      -(2 ** 31) - 1
    ),
    fc.double(),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined)
  )
  const value = fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 18 }),
    fc.uint8Array({ maxLength: 4 }),
    fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 })
  )
  const key = fc.string({ maxLength: 40 }).filter((k) => k !== "__proto__")

  it("is byte for byte encodeQuest(method, seq, encodePayload(payload)), flat or not", () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { maxKeys: 18 }),
        fc.option(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { nil: undefined }),
        (payload, seq) => {
          let expected: string
          try {
            expected = toHex(encodeQuest("getVoiceRoomMemberCount", seq, encodePayload(payload)))
          } catch (e) {
            expect(() => encodeQuestFrame("getVoiceRoomMemberCount", seq, payload)).toThrow((e as Error).message)
            return
          }
          expect(toHex(encodeQuestFrame("getVoiceRoomMemberCount", seq, payload))).toBe(expected)
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("frames written back to back into the shared slab stay intact", () => {
    const frames = Array.from(
      { length: 5000 },
      (_, i) => [i, encodeQuestFrame("m", i + 1, { i, s: "x".repeat(i % 300), salt: BigInt(i) << 40n })] as const
    )
    for (const [i, frame] of frames) {
      expect(toHex(frame)).toBe(
        toHex(encodeQuest("m", i + 1, encodePayload({ i, s: "x".repeat(i % 300), salt: BigInt(i) << 40n })))
      )
    }
  })
})

describe("frame reader memory", () => {
  it("holds what a peer sent, not what its header announced", () => {
    const big = encodeQuest("m", 1, encodePayload({ blob: new Uint8Array(3 * 1024 * 1024) }))
    const reader = new FrameReader()
    const frames: Array<Frame> = []
    reader.push(big.subarray(0, 100), (f) => void frames.push(f))
    expect(reader.buffered).toBe(100)
    expect(reader.reserved).toBeLessThanOrEqual(64 * 1024) // not the announced 3 MiB
    // the rest, in uneven pieces: the buffer grows and the frame comes out whole
    for (let at = 100; at < big.length; at += 777_777) {
      reader.push(big.subarray(at, Math.min(big.length, at + 777_777)), (f) => void frames.push(f))
    }
    expect(frames).toHaveLength(1)
    expect(toHex(frames[0]!.payload)).toBe(toHex(encodePayload({ blob: new Uint8Array(3 * 1024 * 1024) })))
    expect(reader.reserved).toBe(0)
  })
})

describe("frame reader with large frames", () => {
  it("any chunking of frames larger than the initial buffer yields the same frames", () => {
    const frames = [
      encodeQuest("a", 1, encodePayload({ b: new Uint8Array(150_000).fill(7) })),
      encodeAnswer(2, 0, encodePayload({ s: "x".repeat(70_000) })),
      encodeQuest("c", undefined, encodePayload({ n: 1 }))
    ]
    const all = Buffer.concat(frames)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const out: Array<string> = []
        const reader = new FrameReader()
        let off = 0
        let i = 0
        while (off < all.length) {
          const size = sizes[i++ % sizes.length]!
          expect(reader.push(all.subarray(off, off + size), (f) => void out.push(toHex(f.payload)))).toBeUndefined()
          off += size
        }
        expect(out).toEqual(frames.map((f, k) => toHex(f.subarray(k === 0 ? 17 : k === 1 ? 16 : 13))))
      }),
      { numRuns: 100 }
    )
  })
})

describe("joinAdjacent (the outbox's batch before the socket)", () => {
  it("joins frames back to back in one buffer into one view and keeps every byte in order", () => {
    const slab = new Uint8Array(64).map((_, i) => i)
    const other = Uint8Array.of(200, 201, 202)
    const batch = [slab.subarray(0, 5), slab.subarray(5, 9), other, slab.subarray(9, 12), slab.subarray(20, 30)]
    const joined = joinAdjacent(batch)
    expect(joined.map((b) => b.length)).toEqual([9, 3, 3, 10])
    expect(joined[0]!.buffer).toBe(slab.buffer)
    expect(toHex(Buffer.concat(joined))).toBe(toHex(Buffer.concat(batch)))
    expect(joinAdjacent([slab.subarray(0, 4), slab.subarray(4, 8)]).map((b) => b.length)).toEqual([8])
    const single = [other]
    expect(joinAdjacent(single)).toBe(single)
    // Quest frames of the hot path share a slab: a batch of them leaves as one buffer.
    const quests = [1, 2, 3].map((seq) => Codec.encodeQuestFrame("m", seq, { rid: seq }))
    expect(joinAdjacent(quests)).toHaveLength(1)
    expect(toHex(joinAdjacent(quests)[0]!)).toBe(toHex(Buffer.concat(quests)))
  })
})
