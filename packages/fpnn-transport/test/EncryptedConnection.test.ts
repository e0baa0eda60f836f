// Encrypted FPNN connections end to end (FPNN.md §8, §12): our client ↔ our server over
// real sockets on 127.0.0.1, the recording TCP proxy of @rtm-voice/test-support in between where the test needs to see
// the wire, and raw node:net peers speaking the reference vector bytes.
import { assert, describe, expect, it } from "@effect/vitest"
import { hex, tcpProxy, toHex, vector } from "@rtm-voice/test-support"
import { Effect, Stream } from "effect"
import { createCipheriv, ECDH } from "node:crypto"
import * as Net from "node:net"
import { type Curve, CURVE_NAMES, generateKeyPair } from "../src/Encryption.js"
import { type Client, Codec, FpnnClient, FpnnServer, Frame, type Server } from "../src/index.js"
import { keyQuestPublicKeyBytes } from "../src/internal/encryption/KeyQuest.js"

// ---------------------------------------------------------------------------------------
// Helpers

const handlers = (extra: Record<string, Server.QuestHandler> = {}): Record<string, Server.QuestHandler> => ({
  echo: (payload, ctx) => Effect.succeed({ ...payload, encrypted: ctx.encrypted }),
  ...extra
})

const server = (encryption?: Server.FpnnServerOptions["encryption"], extra: Record<string, Server.QuestHandler> = {}) =>
  FpnnServer.make({ handlers: handlers(extra), encryption })

const client = (endpoint: string, options: Partial<Client.FpnnClientOptions> = {}) =>
  FpnnClient.make({ endpoint, questTimeout: "3 seconds", connectTimeout: "3 seconds", ...options })

const BIG = 2n ** 53n + 1n

/** Several pipelined calls (one batch on the wire) with int64 beyond 2^53 both signs. */
const pipelined = (c: Effect.Success<ReturnType<typeof client>>, n = 4) =>
  Effect.gen(function*() {
    const answers = yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) => c.call("echo", { i, big: BIG + BigInt(i), neg: -(2n ** 62n) - BigInt(i), s: `héllo ${i}` }),
      { concurrency: "unbounded" }
    )
    answers.forEach((a, i) => {
      expect(a.i).toBe(i)
      expect(a.big).toBe(BIG + BigInt(i))
      expect(a.neg).toBe(-(2n ** 62n) - BigInt(i))
      expect(a.s).toBe(`héllo ${i}`)
      expect(a.encrypted).toBe(true)
    })
  })

const count = (haystack: Buffer, needle: string): number => {
  const n = Buffer.from(needle)
  let found = 0
  for (let at = haystack.indexOf(n); at !== -1; at = haystack.indexOf(n, at + 1)) found++
  return found
}

interface RawResult {
  readonly received: Buffer
  /** The server closed the connection (before the deadline). */
  readonly closed: boolean
}

/**
 * A raw client: writes `writes` (each as its own socket write; a number instead waits
 * until that many bytes have been received, `{wait}` pauses that many ms), then collects what the server sends until
 * it has `until` bytes, the server closes, or `deadline` ms pass.
 */
const rawClient = (
  port: number,
  writes: ReadonlyArray<Uint8Array | number | { readonly wait: number }>,
  until = Infinity,
  deadline = 2000
) =>
  Effect.callback<RawResult>((resume) => {
    const chunks: Array<Buffer> = []
    let next = 0
    const writeMore = (): void => {
      while (next < writes.length && !done) {
        const w = writes[next]!
        if (typeof w === "number") {
          if (Buffer.concat(chunks).length < w) return
        } else if ("wait" in w) {
          next++
          return void setTimeout(writeMore, w.wait)
        } else socket.write(w)
        next++
      }
    }
    let done = false
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed({ received: Buffer.concat(chunks), closed }))
    }
    const timer = setTimeout(() => finish(false), deadline)
    const socket = Net.connect(port, "127.0.0.1", writeMore)
    socket.setNoDelay(true)
    socket.on("data", (d: Buffer) => {
      chunks.push(Buffer.from(d))
      writeMore()
      if (Buffer.concat(chunks).length >= until) finish(false)
    })
    socket.on("error", () => {})
    socket.on("close", () => finish(true))
  })

const compressed = (point: Uint8Array, curve: Curve): Uint8Array => {
  const node =
    { secp256k1: "secp256k1", secp256r1: "prime256v1", secp224r1: "secp224r1", secp192r1: "prime192v1" }[curve]
  return new Uint8Array(ECDH.convertKey(Buffer.from(point), node, undefined, undefined, "compressed") as Buffer)
}

// ---------------------------------------------------------------------------------------
// 1. Round trips

describe("encrypted round trips client ↔ server", () => {
  for (const curve of CURVE_NAMES) {
    it.live(`${curve}: every strength × mode, pipelined calls with int64 > 2^53`, () =>
      Effect.gen(function*() {
        const keys = generateKeyPair(curve)
        const s = yield* server({ privateKey: keys.privateKeyPem })
        for (const strength of [128, 256] as const) {
          for (const mode of ["package", "stream"] as const) {
            const c = yield* client(s.address, { encryption: { serverKey: keys.publicKeyPem, mode, strength } })
            yield* pipelined(c)
            yield* pipelined(c, 3) // a second batch on the same (stream-mode: continuing) cipher
          }
        }
        expect(yield* s.connectionCount).toBe(4)
      }))
  }

  // The server key in every accepted form × the client's view of the public key in every form.
  for (const curve of ["secp256k1", "secp192r1"] as const) {
    it.live(`${curve}: server key PEM/DER/raw × client key PEM/DER/raw 2L+1/2L/L+1 bytes`, () =>
      Effect.gen(function*() {
        const keys = generateKeyPair(curve)
        const serverForms: Record<string, Uint8Array | string> = {
          pem: keys.privateKeyPem,
          der: keys.privateKeyDer,
          raw: keys.privateKeyRaw,
          rawHex: toHex(keys.privateKeyRaw)
        }
        const clientForms: Record<string, Uint8Array | string> = {
          pem: keys.publicKeyPem,
          der: keys.publicKeyDer,
          raw65: keys.publicKeyRaw,
          raw64: keys.publicKeyRaw.subarray(1),
          raw33: compressed(keys.publicKeyRaw, curve),
          hex: toHex(keys.publicKeyRaw)
        }
        expect(clientForms.raw33!.length).toBe(curve === "secp256k1" ? 33 : 25)
        for (const [sName, privateKey] of Object.entries(serverForms)) {
          const s = yield* server({ privateKey, curve })
          for (const [cName, serverKey] of Object.entries(clientForms)) {
            const c = yield* client(s.address, { encryption: { serverKey, curve, mode: "stream", strength: 256 } })
            const a = yield* c.call("echo", { form: `${sName}/${cName}`, big: BIG })
            expect([a.form, a.big, a.encrypted]).toEqual([`${sName}/${cName}`, BIG, true])
          }
        }
      }))
  }
})

// ---------------------------------------------------------------------------------------
// 2. Nothing in the clear after `*key`

describe("the wire carries no plaintext after *key", () => {
  const METHOD = "transferSecretBalance"
  const SECRET = "distinctive-payload-7f3a9c"

  for (const mode of ["package", "stream"] as const) {
    it.live(`${mode} mode, compared with a plain run through the same proxy`, () =>
      Effect.gen(function*() {
        const keys = generateKeyPair()
        const s = yield* server({ privateKey: keys.privateKeyRaw }, {
          [METHOD]: (p) => Effect.succeed({ echoed: p.note, again: SECRET })
        })

        // Plain run: the probe strings are visible, so the search below can fail.
        const plainProxy = yield* tcpProxy(s.port)
        const plain = yield* client(plainProxy.endpoint)
        expect((yield* plain.call(METHOD, { note: SECRET })).echoed).toBe(SECRET)
        expect(count(plainProxy.up(), METHOD)).toBe(1)
        expect(count(plainProxy.up(), SECRET)).toBe(1)
        expect(count(plainProxy.down(), SECRET)).toBe(2)

        // Encrypted run.
        const proxy = yield* tcpProxy(s.port)
        const c = yield* client(proxy.endpoint, { encryption: { serverKey: keys.publicKeyDer, mode } })
        yield* Effect.forEach([1, 2, 3], (i) => c.call(METHOD, { note: SECRET, i }), { concurrency: "unbounded" })
        const up = proxy.up()
        const down = proxy.down()
        // The only plaintext frame is the `*key` quest at the very start.
        expect(up.subarray(0, 4).toString("latin1")).toBe("FPNN")
        expect(up.subarray(16, 20).toString("latin1")).toBe("*key")
        const keyFrameLength = 12 + 4 + up[7]! + up.readUInt32LE(8) // header, seq, "*key", payload
        // byte for byte the reference `*key` quest (§15(f)), except for our ephemeral key
        const reference = Buffer.from(
          hex(vector(mode === "package" ? "enc_key_quest_package_mode" : "enc_key_quest_stream_mode").hex)
        )
        const keyAt = reference.indexOf(Buffer.from("c440", "hex")) + 2
        expect(keyFrameLength).toBe(reference.length)
        expect(toHex(up.subarray(0, keyAt))).toBe(toHex(reference.subarray(0, keyAt)))
        expect(toHex(up.subarray(keyAt + 64, keyFrameLength))).toBe(toHex(reference.subarray(keyAt + 64)))
        const after = up.subarray(keyFrameLength)
        expect(after.length).toBeGreaterThan(3 * METHOD.length)
        for (const bytes of [after, down]) {
          expect(count(bytes, METHOD)).toBe(0)
          expect(count(bytes, SECRET)).toBe(0)
          expect(count(bytes, "FPNN")).toBe(0) // not even a frame header
          expect(count(bytes, "*key")).toBe(0)
        }
        if (mode === "package") {
          // Each package is `u32 LE plaintext length || ciphertext`.
          expect(down.readUInt32LE(0)).toBe(17) // the encrypted *key answer
        }
      }))
  }
})

// ---------------------------------------------------------------------------------------
// 3. Failures are tagged, fast and explained

describe("mismatched or missing encryption", () => {
  for (const mode of ["package", "stream"] as const) {
    it.live(`${mode}: a client holding another key pair's public key fails fast with reason Encryption`, () =>
      Effect.gen(function*() {
        const keys = generateKeyPair()
        const other = generateKeyPair()
        const s = yield* server({ privateKey: keys.privateKeyPem })
        const c = yield* client(s.address, {
          connectTimeout: "5 seconds",
          questTimeout: "5 seconds",
          encryption: { serverKey: other.publicKeyPem, mode }
        })
        const start = Date.now()
        const e = yield* c.call("echo", { n: 1 }).pipe(Effect.flip)
        expect(Date.now() - start).toBeLessThan(5000) // before the 5 s timeouts (the reason says so too)
        assert(e._tag === "FpnnConnectionError")
        expect(e.reason?._tag).toBe("Encryption")
        expect(e.message).toContain(s.address)
        expect(e.message).toMatch(/server key/)
        expect(e.message).toContain("not valid FPNN once decrypted")
        expect(e.message).toMatch(/derived different keys/)
        // the server is unharmed: the right key still works
        const good = yield* client(s.address, { encryption: { serverKey: keys.publicKeyPem, mode } })
        expect((yield* good.call("echo", { n: 2 })).n).toBe(2)
      }))
  }

  it.live("an encrypting client against a server without encryption: the server closes, tagged error at once", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const c = yield* client(s.address, {
        connectTimeout: "5 seconds",
        encryption: { serverKey: generateKeyPair().publicKeyPem }
      })
      const start = Date.now()
      const e = yield* c.call("echo", {}).pipe(Effect.flip)
      expect(Date.now() - start).toBeLessThan(5000) // before the 5 s connect timeout
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("Encryption")
      expect(e.message).toContain(s.address)
      expect(e.message).toContain("closed the connection without answering the *key quest")
      expect(e.message).toMatch(/encryption enabled/)
    }))

  it.live("a client key on another curve: the server closes on *key, tagged error at once", () =>
    Effect.gen(function*() {
      const s = yield* server({ privateKey: generateKeyPair("secp256k1").privateKeyPem })
      for (const curve of ["secp256r1", "secp192r1"] as const) {
        const c = yield* client(s.address, {
          connectTimeout: "5 seconds",
          encryption: { serverKey: generateKeyPair(curve).publicKeyPem }
        })
        const start = Date.now()
        const e = yield* c.call("echo", {}).pipe(Effect.flip)
        expect(Date.now() - start).toBeLessThan(5000) // before the 5 s connect timeout
        assert(e._tag === "FpnnConnectionError")
        expect(e.reason?._tag).toBe("Encryption")
        expect(e.message).toContain("another curve")
      }
    }))

  it.live("a server with encryption still serves plain clients (and encrypted ones beside them)", () =>
    Effect.gen(function*() {
      const keys = generateKeyPair()
      const s = yield* server({ privateKey: keys.privateKeyPem })
      const plain = yield* client(s.address)
      const enc = yield* client(s.address, { encryption: { serverKey: keys.publicKeyPem } })
      const [a, b] = yield* Effect.all([plain.call("echo", { big: BIG }), enc.call("echo", { big: BIG })], {
        concurrency: "unbounded"
      })
      expect([a.big, a.encrypted]).toEqual([BIG, false])
      expect([b.big, b.encrypted]).toEqual([BIG, true])
    }))
})

// ---------------------------------------------------------------------------------------
// 4. Reconnect re-keys

describe("reconnect", () => {
  for (const mode of ["package", "stream"] as const) {
    it.live(`${mode}: a cut connection is re-established with a fresh *key exchange`, () =>
      Effect.gen(function*() {
        const keys = generateKeyPair()
        const s = yield* server({ privateKey: keys.privateKeyPem })
        const proxy = yield* tcpProxy(s.port)
        const c = yield* client(proxy.endpoint, { encryption: { serverKey: keys.publicKeyPem, mode, strength: 256 } })
        const events: Array<Client.ConnectionEvent> = []
        yield* c.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
        yield* Effect.sleep(10)
        yield* pipelined(c)
        const firstKeyQuest = proxy.up().subarray(0, 12 + 4 + 4 + proxy.up().readUInt32LE(8))
        proxy.cut()
        // the client sees the close (then the next call reconnects)
        while (!events.some((e) => e._tag === "Closed")) yield* Effect.sleep(5)
        yield* pipelined(c)
        expect(proxy.connections()).toBe(2)
        expect(events.filter((e) => e._tag === "Connected" && e.encrypted).length).toBe(2)
        expect(count(proxy.up(), "*key")).toBe(2)
        // a new ephemeral key: the second `*key` quest differs from the first
        const up = proxy.up()
        const second = up.indexOf(Buffer.from("FPNN"), firstKeyQuest.length)
        expect(second).toBeGreaterThan(0)
        expect(up.subarray(second + 20, second + 20 + 16)).not.toEqual(firstKeyQuest.subarray(20, 36))
      }))
  }
})

// ---------------------------------------------------------------------------------------
// 5. The server's `*key` rules (§12.3)

describe("server *key validation", () => {
  const keys = generateKeyPair()
  const xy = keys.publicKeyRaw.subarray(1) // any valid point will do for the checks below
  const keyQuest = (payload: Record<string, unknown>, seq = 1) =>
    Frame.encodeQuest("*key", seq, Codec.encodePayload(payload))

  it.live("rejects *key after another frame, bad bits, bad key length, oneway *key; keeps serving others", () =>
    Effect.gen(function*() {
      const s = yield* server({ privateKey: keys.privateKeyPem })
      const good = yield* client(s.address, { encryption: { serverKey: keys.publicKeyPem } })
      expect((yield* good.call("echo", { n: 1 })).n).toBe(1)

      // a `*ping` first, answered in plaintext; then `*key` closes the connection without an answer
      const ping = Frame.encodeQuest("*ping", 1, Codec.encodePayload({}))
      const late = yield* rawClient(s.port, [ping, 16, keyQuest({ publicKey: xy }, 2)])
      expect(late.closed).toBe(true)
      expect(late.received.length).toBe(16 + late.received.readUInt32LE(8)) // only the ping answer
      expect(late.received.readUInt32LE(12)).toBe(1)
      // an (unsolicited) answer frame before `*key` counts as a frame too
      const answerFirst = yield* rawClient(s.port, [
        Buffer.concat([Frame.encodeAnswer(7, 0, Codec.encodePayload({})), keyQuest({ publicKey: xy })])
      ])
      expect([answerFirst.closed, answerFirst.received.length]).toEqual([true, 0])
      // the same two frames in one chunk: closed, too
      const lateOneChunk = yield* rawClient(s.port, [Buffer.concat([ping, keyQuest({ publicKey: xy }, 2)])])
      expect(lateOneChunk.closed).toBe(true)

      const rejected: Record<string, Uint8Array> = {
        "bits 192": keyQuest({ publicKey: xy, bits: 192 }),
        "bits as string": keyQuest({ publicKey: xy, bits: "256" }),
        "63-byte key": keyQuest({ publicKey: xy.subarray(1) }),
        "65-byte key (with 04 prefix)": keyQuest({ publicKey: keys.publicKeyRaw }),
        "point not on the curve": keyQuest({ publicKey: new Uint8Array(64).fill(7) }),
        "no publicKey": keyQuest({ streamMode: true }),
        "oneway *key": Frame.encodeQuest("*key", undefined, Codec.encodePayload({ publicKey: xy }))
      }
      for (const [why, frame] of Object.entries(rejected)) {
        const r = yield* rawClient(s.port, [frame])
        expect({ why, closed: r.closed, received: r.received.length }).toEqual({ why, closed: true, received: 0 })
      }

      // the good client's connection was never disturbed
      expect((yield* good.call("echo", { n: 2 })).n).toBe(2)
      expect(yield* s.connectionCount).toBe(1)
    }))

  it.live("a server without encryption closes on *key without answering", () =>
    Effect.gen(function*() {
      const s = yield* server()
      const r = yield* rawClient(s.port, [keyQuest({ publicKey: xy })])
      expect([r.closed, r.received.length]).toEqual([true, 0])
    }))
})

// ---------------------------------------------------------------------------------------
// 6. Interop with the reference bytes (FPNN.md §15(f))

describe("interop with the reference vectors", () => {
  const v = (name: string) =>
    vector(name) as ReturnType<typeof vector> & { plaintext_hex: string; crypto?: Record<string, string> }
  const fields = v("enc_key_quest_package_mode").crypto!
  const serverPrivateKey = fields["server_private_key"]!
  const key128 = hex(fields["aes128_key"]!)
  const key256 = hex(fields["aes256_key"]!)
  const iv = hex(fields["iv_md5_of_secret"]!)
  const answerEmpty = hex(v("enc_key_answer_package_aes128").plaintext_hex)
  const answer2 = hex(v("enc_answer2_stream_aes128").plaintext_hex) // {count: 3}, seq 2
  const quest2 = hex(v("enc_quest2_package_aes128").plaintext_hex)

  const rtmServer = (privateKey: Uint8Array | string) =>
    FpnnServer.make({
      handlers: { getVoiceRoomMemberCount: (p) => Effect.succeed(p.rid === 42 ? { count: 3 } : { count: -1 }) },
      encryption: { privateKey }
    })

  const cfb = (key: Uint8Array) => createCipheriv(key.length === 16 ? "aes-128-cfb" : "aes-256-cfb", key, iv)
  const packaged = (key: Uint8Array, plain: Uint8Array) => {
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32LE(plain.length)
    return Buffer.concat([prefix, cfb(key).update(plain)])
  }

  it("the vectors hold what this test assumes", () => {
    expect(toHex(answerEmpty)).toBe("46504e4e01800200010000000100000080")
    expect(toHex(answer2)).toBe("46504e4e01800200080000000200000081a5636f756e7403")
    expect(v("enc_quest2_stream_aes128").hex).toBe(v("enc_quest2_package_aes128").hex.slice(8))
    expect(toHex(packaged(key128, quest2))).toBe(v("enc_quest2_package_aes128").hex)
  })

  for (const split of [false, true]) {
    it.live(`package mode AES-128: *key answer equals enc_key_answer_package_aes128 (${split ? "separate writes" : "one write"})`, () =>
      Effect.gen(function*() {
        const s = yield* rtmServer(serverPrivateKey) // the raw scalar as hex text
        const keyQuest = hex(v("enc_key_quest_package_mode").hex)
        const encQuest2 = hex(v("enc_quest2_package_aes128").hex)
        const expected = Buffer.concat([hex(v("enc_key_answer_package_aes128").hex), packaged(key128, answer2)])
        const r = yield* rawClient(
          s.port,
          split ? [keyQuest, encQuest2] : [Buffer.concat([keyQuest, encQuest2])],
          expected.length
        )
        expect(toHex(r.received)).toBe(toHex(expected))
      }))
  }

  it.live("package mode AES-128, the client's bytes dribbled in 7-byte pieces across the *key boundary", () =>
    Effect.gen(function*() {
      const s = yield* rtmServer(serverPrivateKey)
      const all = Buffer.concat([hex(v("enc_key_quest_package_mode").hex), hex(v("enc_quest2_package_aes128").hex)])
      const pieces: Array<Uint8Array | { wait: number }> = []
      for (let at = 0; at < all.length; at += 7) pieces.push(all.subarray(at, at + 7), { wait: 1 })
      const expected = Buffer.concat([hex(v("enc_key_answer_package_aes128").hex), packaged(key128, answer2)])
      const r = yield* rawClient(s.port, pieces, expected.length)
      expect(toHex(r.received)).toBe(toHex(expected))
    }))

  it.live("stream mode AES-128: the server stream equals enc_key_answer_stream_aes128 + enc_answer2_stream_aes128", () =>
    Effect.gen(function*() {
      const s = yield* rtmServer(hex(serverPrivateKey))
      const writes = [hex(v("enc_key_quest_stream_mode").hex), hex(v("enc_quest2_stream_aes128").hex)]
      const expected = v("enc_key_answer_stream_aes128").hex + v("enc_answer2_stream_aes128").hex
      const r = yield* rawClient(s.port, [Buffer.concat(writes)], expected.length / 2)
      expect(toHex(r.received)).toBe(expected)
    }))

  it.live("stream mode AES-256 with the Go-style *key quest (bits as int16 d1 0100)", () =>
    Effect.gen(function*() {
      const s = yield* rtmServer(hex(serverPrivateKey))
      const writes = [hex(v("enc_key_quest_go_256").hex), cfb(key256).update(quest2)]
      const out = cfb(key256)
      const expected = Buffer.concat([out.update(answerEmpty), out.update(answer2)])
      const r = yield* rawClient(s.port, writes, expected.length)
      expect(toHex(r.received)).toBe(toHex(expected))
    }))

  it.live("the C++ client's str8 publicKey (raw bytes, not UTF-8) is read byte-exact", () =>
    Effect.gen(function*() {
      const s = yield* rtmServer(hex(serverPrivateKey))
      // The Node vector with `publicKey` re-typed from bin8 (c4 40) to str8 (d9 40): same length.
      const bin = v("enc_key_quest_package_mode").hex
      const at = bin.indexOf("c440")
      const str8 = bin.slice(0, at) + "d940" + bin.slice(at + 4)
      expect(str8.length).toBe(bin.length)
      // the key has bytes ≥ 0x80, which a UTF-8 decode would corrupt
      expect(hex(fields["client_public_key_xy"]!).some((b) => b >= 0x80)).toBe(true)
      const expected = Buffer.concat([hex(v("enc_key_answer_package_aes128").hex), packaged(key128, answer2)])
      const r = yield* rawClient(s.port, [hex(str8), hex(v("enc_quest2_package_aes128").hex)], expected.length)
      expect(toHex(r.received)).toBe(toHex(expected))
    }))
})

describe("keyQuestPublicKeyBytes (raw str/bin publicKey from the *key payload)", () => {
  const key = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 0x80) & 0xff)
  const header = (t: string, n: number) =>
    Buffer.from(t + n.toString(16).padStart(t === "d9" || t === "c4" ? 2 : 4, "0"), "hex")

  it("reads str8, str16, bin8 and fixstr bytes exactly, after skipping nested values", () => {
    for (const h of [header("d9", 64), header("da", 64), header("c4", 64)]) {
      const payload = Buffer.concat([
        Buffer.from("84", "hex"), // map(4)
        Buffer.from("a46d657461", "hex"), // "meta": {a: [1, -1, 2^53+1, "x"]}
        Buffer.from("81a16194" + "01" + "ff" + "cf0020000000000001" + "a178", "hex"),
        Buffer.from("a462697473d10100", "hex"), // bits: int16 256
        Buffer.from("a97075626c69634b6579", "hex"),
        h,
        key,
        Buffer.from("aa73747265616d4d6f6465c3", "hex")
      ])
      expect(toHex(keyQuestPublicKeyBytes(payload)!)).toBe(toHex(key))
    }
    // "é" as UTF-8 (c3 a9) would decode to one char; the raw bytes keep both
    expect(toHex(keyQuestPublicKeyBytes(Buffer.from("81a97075626c69634b6579a2c3a9", "hex"))!)).toBe("c3a9")
  })

  it("is undefined when absent or not str/bin, and rejects truncated msgpack", () => {
    expect(keyQuestPublicKeyBytes(Buffer.from("81a462697473cc80", "hex"))).toBeUndefined()
    expect(keyQuestPublicKeyBytes(Buffer.from("81a97075626c69634b65792a", "hex"))).toBeUndefined()
    expect(keyQuestPublicKeyBytes(Buffer.from("9101", "hex"))).toBeUndefined()
    expect(() => keyQuestPublicKeyBytes(Buffer.from("81a97075626c69634b6579d940c3", "hex"))).toThrow(/truncated/)
    expect(() => keyQuestPublicKeyBytes(Buffer.from("82a97075626c69634b6579", "hex"))).toThrow(/truncated/)
  })
})
