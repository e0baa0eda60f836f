// Property-based fuzzing (fast-check) of the frame reader, the payload codec and the
// emulator's request handling, with random bytes and with mutated valid signed quests
// (flipped bytes, truncation, other message types and flags, fields of the wrong type).
// Nothing may throw out of the reader, nothing may escape as an unhandled rejection or
// uncaught exception (guardProcess), and a good client keeps being served throughout.
import { describe, expect, it } from "@effect/vitest"
import { Codec, FpnnProtocolError, Frame } from "@rtm-voice/fpnn-transport"
import {
  type AnyOperation,
  authFields,
  buildRequest,
  nextSalt,
  operationNames,
  Operations
} from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect } from "effect"
import fc from "fast-check"
import * as Net from "node:net"
import { eventually, guardProcess, PID, SECRET, SECRET_TEXT, voiceClient } from "./support.js"

const guard = guardProcess()

// ---- valid signed quests, the seeds of the mutations

const validArgs: Record<string, ReadonlyArray<unknown>> = {
  inviteUserIntoVoiceRoom: [1, 2, [3, 4]],
  pullUserIntoVoiceRoom: [1, [2, 3]],
  closeVoiceRoom: [1],
  kickoutFromVoiceRoom: [1, 2, 3],
  setVoiceRoomMicStatus: [1, true],
  getVoiceRoomList: [],
  getVoiceRoomMembers: [1],
  getVoiceRoomMemberCount: [1],
  adminCommand: [1, [2], "forbidAudio"]
}

/** A freshly signed twoway quest of `operation` in `dialect`, exactly as the SDK sends it. */
const signedQuest = (name: string, dialect: "voice" | "rtc", seq: number) => {
  const operation = Operations[name as keyof typeof Operations] as AnyOperation
  const method = operation.wire[dialect]
  const fields = buildRequest(operation, dialect, validArgs[name]!) as Record<string, unknown>
  const payload = { ...authFields(PID, SECRET, method, nextSalt(), Math.floor(Date.now() / 1000)), ...fields }
  return { method, payload, frame: Buffer.from(Frame.encodeQuest(method, seq, Codec.encodePayload(payload as never))) }
}

const questSeed = fc.record({
  name: fc.constantFrom(...operationNames),
  dialect: fc.constantFrom("voice" as const, "rtc" as const),
  seq: fc.integer({ min: 1, max: 0xffffffff })
})

/** Values of every msgpack type, and then some: for fields of the wrong type. */
const anyValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 16 }),
  fc.array(fc.oneof(fc.integer(), fc.double(), fc.string(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), {
    maxLength: 5
  }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 })
)

type Mutation =
  | { readonly kind: "flip"; readonly flips: ReadonlyArray<readonly [number, number]> }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "mtype"; readonly mtype: number }
  | { readonly kind: "flag"; readonly flag: number }
  | { readonly kind: "field"; readonly key: number; readonly value: unknown }
  | { readonly kind: "drop"; readonly key: number }
  | { readonly kind: "psize"; readonly psize: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("mtype" as const), mtype: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("flag" as const), flag: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("field" as const), key: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("drop" as const), key: fc.nat() }),
  fc.record({ kind: fc.constant("psize" as const), psize: fc.nat() })
)

const mutate = (seed: { name: string; dialect: "voice" | "rtc"; seq: number }, m: Mutation): Buffer => {
  const { frame, method, payload } = signedQuest(seed.name, seed.dialect, seed.seq)
  const keys = Object.keys(payload)
  switch (m.kind) {
    case "flip":
      for (const [at, value] of m.flips) frame[at % frame.length] = value
      return frame
    case "truncate":
      return frame.subarray(0, m.at % frame.length)
    case "mtype":
      frame[6] = m.mtype
      return frame
    case "flag":
      frame[5] = m.flag
      return frame
    case "psize":
      frame.writeUInt32LE(m.psize >>> 0, 8)
      return frame
    case "field":
    case "drop": {
      const key = keys[m.key % keys.length]!
      const edited: Record<string, unknown> = { ...payload }
      if (m.kind === "drop") delete edited[key]
      else edited[key] = m.value
      let bytes: Uint8Array
      try {
        bytes = Codec.encodePayload(edited as never)
      } catch {
        bytes = Codec.encodePayload({ ...payload, [key]: "unencodable" } as never)
      }
      return Buffer.from(Frame.encodeQuest(method, seed.seq, bytes))
    }
  }
}

// ---- the frame reader and the codec (pure, fast)

/** Splits `bytes` at the given cut points (any chunking must give the same frames). */
const chunked = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const p of points) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  out.push(bytes.subarray(from))
  return out
}

interface ReadResult {
  readonly frames: Array<string>
  readonly error: FpnnProtocolError | undefined
}

const readAll = (chunks: ReadonlyArray<Uint8Array>, maxFrameBytes: number): ReadResult => {
  const reader = new Frame.FrameReader({ maxFrameBytes })
  const frames: Array<string> = []
  let error: FpnnProtocolError | undefined
  const describe = (f: Frame.Frame) =>
    `${f._tag}:${f.seq}:${f._tag === "Quest" ? f.method : f.status}:${Buffer.from(f.payload).toString("hex")}`
  for (const chunk of chunks) {
    const e = reader.push(chunk, (f) => void frames.push(describe(f)))
    if (e !== undefined) {
      // once failed, the reader stays failed: no frame boundary is trustworthy any more
      if (error !== undefined) expect(e).toBe(error)
      error = e
    }
    expect(reader.buffered).toBeLessThanOrEqual(maxFrameBytes)
  }
  return { frames, error }
}

describe("fuzzing the frame reader and the codec", () => {
  it("random bytes in random chunks: the reader never throws, only returns FpnnProtocolError, and fails for good", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const { error } = readAll(chunked(bytes, cuts), 4096)
        if (error !== undefined) expect(error).toBeInstanceOf(FpnnProtocolError)
      }),
      { numRuns: 2000 }
    )
  })

  it("streams of valid frames with mutations: any chunking yields the same frames and the same error", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(questSeed, fc.option(mutation, { freq: 3 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (seeds, cuts) => {
          const stream = Buffer.concat(
            seeds.map((
              [seed, m]
            ) => (m === null ? signedQuest(seed.name, seed.dialect, seed.seq).frame : mutate(seed, m)))
          )
          const whole = readAll([stream], 64 * 1024)
          const pieces = readAll(chunked(stream, cuts), 64 * 1024)
          const bytewise = readAll(Array.from(stream, (b) => Uint8Array.of(b)), 64 * 1024)
          expect(pieces.frames).toEqual(whole.frames)
          expect(bytewise.frames).toEqual(whole.frames)
          expect(pieces.error?.reason?._tag).toBe(whole.error?.reason._tag)
          expect(bytewise.error?.reason?._tag).toBe(whole.error?.reason._tag)
        }
      ),
      { numRuns: 400 }
    )
  })

  it("a header announcing more than the limit is refused at the header, before the payload is awaited", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4097, max: 0xffffffff }),
        fc.constantFrom(0, 1, Frame.MTYPE_ANSWER),
        (psize, mtype) => {
          const h = Buffer.from(Frame.encodeQuest("m", 1, new Uint8Array(0)))
          h[6] = mtype
          h.writeUInt32LE(psize, 8)
          const { error, frames } = readAll([h.subarray(0, Frame.HEADER_BYTES)], 4096)
          expect(frames).toEqual([])
          expect(error?.reason?._tag).toBe("Oversized")
        }
      ),
      { numRuns: 300 }
    )
  })

  it("payload decoders: random bytes decode to a map or throw FpnnProtocolError (BadPayload), nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [Codec.decodePayload, Codec.decodeJsonPayload]) {
          try {
            const payload = decode(bytes)
            expect(typeof payload).toBe("object")
          } catch (e) {
            expect(e).toBeInstanceOf(FpnnProtocolError)
            expect((e as FpnnProtocolError).reason?._tag).toBe("BadPayload")
          }
        }
      }),
      { numRuns: 2000 }
    )
  })
})

// ---- the emulator

/**
 * Whether `bytes` hold a complete, well-formed twoway quest (valid header, payload a
 * map in the encoding its flag names): the server must then answer it, error or not.
 */
const mustBeAnswered = (bytes: Uint8Array): boolean => {
  let quest: Frame.Frame | undefined
  const error = new Frame.FrameReader().push(bytes, (f) => {
    quest ??= f
  })
  if (error !== undefined && quest === undefined) return false
  if (quest === undefined || quest._tag !== "Quest" || !quest.twoway || quest.method === "*key") return false
  try {
    ;(quest.flag & Frame.FLAG_JSON ? Codec.decodeJsonPayload : Codec.decodePayload)(quest.payload)
    return true
  } catch {
    return false
  }
}

/** Bytes whose framing breaks before any whole frame: the server must close the connection. */
const mustBeClosed = (bytes: Uint8Array): boolean => {
  let frames = 0
  const error = new Frame.FrameReader().push(bytes, () => void frames++)
  return error !== undefined && frames === 0
}

/**
 * Sends `bytes` on a fresh raw connection; resolves once answered or closed by the
 * server — or after `silence` ms without either (incomplete frames wait for more).
 */
const poke = (port: number, bytes: Uint8Array, silence: number) =>
  Effect.callback<{ answered: boolean; closedByServer: boolean }>((resume) => {
    const socket = Net.connect(port, "127.0.0.1")
    let answered = false
    let done = false
    const finish = (closedByServer: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed({ answered, closedByServer }))
    }
    const reader = new Frame.FrameReader()
    socket.on("data", (d) => {
      reader.push(d, (f) => {
        if (f._tag === "Answer") answered = true
      })
      if (answered) finish(false)
    })
    socket.on("error", () => {})
    socket.on("close", () => finish(true))
    socket.on("connect", () => socket.write(bytes))
    const timer = setTimeout(() => finish(false), silence)
  })

describe("fuzzing the emulator's request handling", () => {
  it.live(
    "random bytes and mutated signed quests on fresh connections: no crash, every well-framed quest is answered, a good client is served throughout, no connection leaks",
    () =>
      Effect.gen(function*() {
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
        const { client } = yield* voiceClient(emulator.address)
        const GOOD_ROOM = 2n ** 60n + 5n // fuzzed quests target room 1 (and close it, kick from it...)
        yield* client.pullUserIntoVoiceRoom(GOOD_ROOM, [1])
        const stats = { samples: 0, mustAnswer: 0, mustClose: 0, answered: 0, closedByServer: 0, silent: 0 }
        const run = (bytes: Uint8Array) =>
          Effect.gen(function*() {
            const must = mustBeAnswered(bytes)
            const cut = mustBeClosed(bytes)
            // what the server must do is waited for (generously: the machine may be loaded);
            // an incomplete frame gets 40 ms of silence
            const outcome = yield* poke(emulator.port, bytes, must || cut ? 5000 : 40)
            stats.samples++
            if (must) stats.mustAnswer++
            if (cut) {
              stats.mustClose++
              expect(outcome.closedByServer, Buffer.from(bytes).toString("hex")).toBe(true)
            }
            if (outcome.answered) stats.answered++
            else if (outcome.closedByServer) stats.closedByServer++
            else stats.silent++
            if (must) expect(outcome.answered, Buffer.from(bytes).toString("hex")).toBe(true)
          })
        const samples = fc.sample(
          fc.oneof(
            fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
            fc.tuple(questSeed, mutation).map(([seed, m]) => mutate(seed, m)),
            fc.tuple(questSeed, mutation).map(([seed, m]) => mutate(seed, m)),
            fc.tuple(questSeed, mutation, mutation).map(([seed, a, b]) => {
              const once = mutate(seed, a)
              return b.kind === "flip"
                ? Buffer.from(once.map((x, i) => (b.flips.some(([at]) => at % once.length === i) ? x ^ 0xff : x)))
                : once
            })
          ),
          { numRuns: 300, seed: 20261125 }
        )
        // unmutated quests are all answered OK: the harness itself works
        for (const name of operationNames) {
          const outcome = yield* poke(emulator.port, signedQuest(name, "rtc", 7).frame, 5000)
          expect(outcome.answered, name).toBe(true)
        }
        // 10 fuzz connections at a time; after each batch the good client, on its own
        // long-lived connection, must still be served
        for (let i = 0; i < samples.length; i += 10) {
          yield* Effect.forEach(samples.slice(i, i + 10), run, { concurrency: "unbounded", discard: true })
          expect(yield* client.getVoiceRoomMemberCount(GOOD_ROOM, { timeout: 10_000 })).toBe(1)
        }

        if (process.env.REL_DEBUG) console.log(stats)
        expect(stats.samples).toBe(300)
        expect(stats.mustAnswer).toBeGreaterThan(30) // mutations of fields/types still reach the handlers
        expect(stats.mustClose).toBeGreaterThan(30) // broken framing is cut off (each checked above)
        expect(stats.closedByServer).toBeGreaterThanOrEqual(stats.mustClose)
        // every fuzz connection is gone: only the good client's remains
        expect(yield* eventually(() => Effect.runSync(emulator.connectionCount), (n) => n === 1)).toBe(1)
        const quests = [...(yield* emulator.state).quests.values()].reduce((a, b) => a + b, 0)
        expect(quests).toBeGreaterThan(0)
        expect(guard.escaped).toEqual([])
        // the secret never travels: not in any answer text the handlers produced
        expect(JSON.stringify(stats)).not.toContain(SECRET_TEXT)
      }),
    60_000
  )
})
