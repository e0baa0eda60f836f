import { hex as unhex, pemPath, toHex as hex, vector, vectorsPath } from "@rtm-voice/test-support"
import { createCipheriv, createECDH, createHash, createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import {
  clientKeyExchange,
  type Curve,
  CURVE_NAMES,
  deriveSessionKeys,
  EncryptionError,
  generateKeyPair,
  keyQuestPayload,
  makeDecryptor,
  makeEncryptor,
  type Mode,
  parseKeyQuestPayload,
  parseServerPrivateKey,
  parseServerPublicKey,
  serverKeyExchange,
  type Strength
} from "../src/Encryption.js"
import { makeConnectionCipher } from "../src/internal/encryption/Cipher.js"

// ---------------------------------------------------------------------------------------
// Vectors (the fixtures of @rtm-voice/test-support)

const plaintext = (name: string): Uint8Array => unhex(vector(name).plaintext_hex!)

const keyQuest = vector("enc_key_quest_package_mode")
const encFields = keyQuest.crypto!
const c = (field: string): string => {
  const v = encFields[field]
  if (v === undefined) throw new Error(`missing crypto field ${field}`)
  return v
}
const serverXY = c("server_public_key_xy")
const serverPoint = "04" + serverXY
const clientPriv = unhex(c("client_private_key"))
const serverPriv = { curve: "secp256k1" as const, privateKey: unhex(c("server_private_key")) }
const serverPub = { curve: "secp256k1" as const, point: unhex(serverPoint) }
const key128 = unhex(c("aes128_key"))
const key256 = unhex(c("aes256_key"))
const iv = unhex(c("iv_md5_of_secret"))

/** The reference server public key as a PEM file, as a user would hand it to the client. */
const specPem = (): string => readFileSync(pemPath, "utf8")

// Deterministic PRNG so failing chunkings are reproducible.
const prng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) >>> 0
  return seed / 2 ** 32
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => new Uint8Array(Buffer.concat(parts))

/** Every interesting way of cutting `bytes` into chunks. */
const chunkings = (bytes: Uint8Array): Array<Array<Uint8Array>> => {
  const out: Array<Array<Uint8Array>> = [[bytes], Array.from(bytes, (b) => Uint8Array.of(b))]
  const rand = prng(bytes.length)
  for (let round = 0; round < 20; round++) {
    const parts: Array<Uint8Array> = []
    let pos = 0
    while (pos < bytes.length) {
      const n = Math.floor(rand() * 40) // 0-length chunks included on purpose
      parts.push(bytes.subarray(pos, pos + n))
      pos += n
    }
    out.push(parts)
  }
  return out
}

const feed = (push: (chunk: Uint8Array) => Array<Uint8Array>, parts: ReadonlyArray<Uint8Array>) =>
  parts.flatMap((p) => push(p))

const expectEncryptionError = (f: () => unknown, reason: string): void => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(EncryptionError)
    expect((e as EncryptionError).reason._tag).toBe(reason)
    expect((e as EncryptionError).name).toBe("EncryptionError")
    return
  }
  throw new Error(`expected EncryptionError(${reason})`)
}

// ---------------------------------------------------------------------------------------

describe("vectors file", () => {
  it("is the repository's own fixture", () => {
    expect(existsSync(vectorsPath)).toBe(true)
    expect(existsSync(pemPath)).toBe(true)
    expect(encFields["curve"]).toBe("secp256k1")
  })
})

describe("parseServerPublicKey", () => {
  it("reads the reference PEM file (string and bytes)", () => {
    const pem = specPem()
    expect(pem.trim()).toBe(c("server_public_key_pem").trim())
    for (const input of [pem, new Uint8Array(Buffer.from(pem))]) {
      const k = parseServerPublicKey(input)
      expect(k.curve).toBe("secp256k1")
      expect(hex(k.point)).toBe(serverPoint)
    }
  })

  it("reads DER, compressed, X||Y, 04||X||Y and hex forms to the same point", () => {
    const inputs: Array<Uint8Array | string> = [
      unhex(c("server_public_key_der")),
      unhex(c("server_public_key_compressed")),
      unhex(serverXY),
      unhex(serverPoint),
      serverXY,
      c("server_public_key_compressed")
    ]
    for (const input of inputs) {
      const k = parseServerPublicKey(input, "secp256k1")
      expect(k.curve).toBe("secp256k1")
      expect(hex(k.point)).toBe(serverPoint)
    }
    expect(unhex(c("server_public_key_der")).length).toBe(88)
  })

  it("rejects bad lengths, off-curve points, unknown OIDs and curve mismatches", () => {
    expectEncryptionError(() => parseServerPublicKey(unhex(serverXY).subarray(1)), "InvalidPublicKeyLength")
    expectEncryptionError(() => parseServerPublicKey(new Uint8Array(65)), "InvalidPublicKeyLength")
    const offCurve = unhex(serverPoint)
    offCurve[64] = offCurve[64]! ^ 1
    expectEncryptionError(() => parseServerPublicKey(offCurve), "InvalidPoint")
    expectEncryptionError(() => parseServerPublicKey(offCurve.subarray(1)), "InvalidPoint")
    const der = unhex(c("server_public_key_der"))
    der[der.length - 1] = der[der.length - 1]! ^ 1
    expectEncryptionError(() => parseServerPublicKey(der), "InvalidPoint")

    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey
    expectEncryptionError(() => parseServerPublicKey(p384.export({ type: "spki", format: "der" })), "UnknownCurve")
    expectEncryptionError(
      () => parseServerPublicKey(p384.export({ type: "spki", format: "pem" }) as string),
      "UnknownCurve"
    )
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey
    expectEncryptionError(
      () => parseServerPublicKey(rsa.export({ type: "spki", format: "pem" }) as string),
      "InvalidKeyFormat"
    )

    expectEncryptionError(() => parseServerPublicKey(specPem(), "secp256r1"), "CurveMismatch")
    expectEncryptionError(() => parseServerPublicKey("not a key"), "InvalidKeyFormat")
    expectEncryptionError(
      () => parseServerPublicKey("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"),
      "InvalidKeyFormat"
    )
  })
})

describe("key exchange against the vectors", () => {
  it("client side with the fixed client private key", () => {
    for (
      const [strength, key] of [
        [128, key128],
        [256, key256]
      ] as const
    ) {
      const r = clientKeyExchange(parseServerPublicKey(specPem()), strength, clientPriv)
      expect(hex(r.publicKeyXY)).toBe(c("client_public_key_xy"))
      expect(hex(r.iv)).toBe(c("iv_md5_of_secret"))
      expect(hex(r.key)).toBe(hex(key))
    }
  })

  it("server side with the server private key", () => {
    const priv = parseServerPrivateKey(unhex(c("server_private_key")))
    expect(priv.curve).toBe("secp256k1")
    for (
      const [strength, key] of [
        [128, key128],
        [256, key256]
      ] as const
    ) {
      const r = serverKeyExchange(priv, unhex(c("client_public_key_xy")), strength)
      expect(hex(r.iv)).toBe(c("iv_md5_of_secret"))
      expect(hex(r.key)).toBe(hex(key))
    }
  })

  it("derives S, IV and both keys exactly as §12.4", () => {
    const secret = unhex(c("shared_secret_x"))
    expect(hex(deriveSessionKeys(secret, 128).key)).toBe(c("aes128_key"))
    expect(hex(deriveSessionKeys(secret, 256).key)).toBe(c("aes256_key"))
    expect(hex(deriveSessionKeys(secret, 128).iv)).toBe(c("iv_md5_of_secret"))
    // L != 32: the 256-bit key is SHA-256(S), the 128-bit key still S[0..16].
    const s28 = secret.subarray(0, 28)
    expect(hex(deriveSessionKeys(s28, 256).key)).toBe(createHash("sha256").update(s28).digest("hex"))
    expect(hex(deriveSessionKeys(s28, 128).key)).toBe(hex(s28.subarray(0, 16)))
    expect(hex(deriveSessionKeys(s28, 128).iv)).toBe(createHash("md5").update(s28).digest("hex"))
  })

  it("the *key quest public key equals the vector", () => {
    const { publicKeyXY } = clientKeyExchange(serverPub, 128, clientPriv)
    const payload = keyQuestPayload(publicKeyXY, "package", 128)
    expect(Object.keys(payload)).toEqual(["publicKey", "streamMode", "bits"])
    const expected = (keyQuest.decoded!.payload!["publicKey"] as { $bin: string }).$bin
    expect(hex(payload.publicKey)).toBe(expected)
    expect(payload.streamMode).toBe(false)
    expect(payload.bits).toBe(128)
    expect(keyQuestPayload(publicKeyXY, "stream", 256)).toMatchObject({ streamMode: true, bits: 256 })
    // The plaintext quest frame carries exactly these bytes as bin8 (c4 40).
    expect(keyQuest.hex).toContain("c440" + expected)
  })
})

describe("package mode", () => {
  const cases = [
    { name: "enc_key_answer_package_aes128", key: key128 },
    { name: "enc_key_answer_package_aes256", key: key256 },
    { name: "enc_quest2_package_aes128", key: key128 }
  ]

  it("encrypts the *key answer and quest (a) seq 2 to the vector bytes", () => {
    for (const { name, key } of cases) {
      const enc = makeEncryptor("package", key, iv)
      const out = enc(plaintext(name))
      expect(hex(out)).toBe(vector(name).hex)
      // A fresh cipher per frame: encrypting again gives the same bytes.
      expect(hex(enc(plaintext(name)))).toBe(vector(name).hex)
      expect(Buffer.from(out).readUInt32LE(0)).toBe(plaintext(name).length)
    }
    // Equal plaintext prefixes give equal ciphertext prefixes (§12.6).
    expect(vector("enc_quest2_package_aes128").hex.slice(8, 20)).toBe(
      vector("enc_key_answer_package_aes128").hex.slice(8, 20)
    )
  })

  it("decrypts the vectors back under every chunking", () => {
    for (const { name, key } of cases) {
      for (const parts of chunkings(unhex(vector(name).hex))) {
        const frames = feed(makeDecryptor("package", key, iv).push, parts)
        expect(frames.map(hex)).toEqual([vector(name).plaintext_hex])
      }
    }
  })

  it("decrypts several packages in one chunk and across chunk boundaries", () => {
    const names = ["enc_key_answer_package_aes128", "enc_quest2_package_aes128", "enc_key_answer_package_aes128"]
    const wire = concat(names.map((n) => unhex(vector(n).hex)))
    const expected = names.map((n) => vector(n).plaintext_hex)
    for (const parts of chunkings(wire)) {
      const dec = makeDecryptor("package", key128, iv)
      expect(feed(dec.push, parts).map(hex)).toEqual(expected)
      expect(dec.buffered).toBe(0)
    }
    const dec = makeDecryptor("package", key128, iv)
    expect(dec.push(wire.subarray(0, 30)).map(hex)).toEqual([expected[0]])
    expect(dec.buffered).toBe(30 - 21)
  })

  it("rejects an oversized or zero length prefix and stays failed", () => {
    const dec = makeDecryptor("package", key128, iv)
    expect(dec.push(Uint8Array.of(0x01, 0x00))).toEqual([])
    expectEncryptionError(() => dec.push(Uint8Array.of(0x80, 0x00)), "Oversized") // 8 MiB + 1
    expectEncryptionError(() => dec.push(unhex(vector("enc_key_answer_package_aes128").hex)), "Oversized")

    const exact = makeDecryptor("package", key128, iv)
    expect(exact.push(Uint8Array.of(0x00, 0x00, 0x80, 0x00))).toEqual([]) // exactly 8 MiB is allowed
    expect(exact.buffered).toBe(4)

    const small = makeDecryptor("package", key128, iv, 16)
    expectEncryptionError(() => small.push(unhex(vector("enc_key_answer_package_aes128").hex)), "Oversized")

    const zero = makeDecryptor("package", key128, iv)
    expectEncryptionError(() => zero.push(Uint8Array.of(0, 0, 0, 0, 1, 2)), "InvalidLength")
    expectEncryptionError(() => makeEncryptor("package", key128, iv)(new Uint8Array(0)), "InvalidLength")
  })
})

describe("stream mode", () => {
  it("server→client: *key answer then {count:3} seq 2 equal the vectors", () => {
    const enc = makeEncryptor("stream", key128, iv)
    expect(hex(enc(plaintext("enc_key_answer_stream_aes128")))).toBe(vector("enc_key_answer_stream_aes128").hex)
    expect(hex(enc(plaintext("enc_answer2_stream_aes128")))).toBe(vector("enc_answer2_stream_aes128").hex)
  })

  it("client→server: quest (a) seq 2 equals the vector (= package ciphertext minus prefix)", () => {
    const enc = makeEncryptor("stream", key128, iv)
    const out = hex(enc(plaintext("enc_quest2_stream_aes128")))
    expect(out).toBe(vector("enc_quest2_stream_aes128").hex)
    expect(out).toBe(vector("enc_quest2_package_aes128").hex.slice(8))
  })

  it("decrypts arbitrary chunkings of both directions", () => {
    const s2c = concat([
      unhex(vector("enc_key_answer_stream_aes128").hex),
      unhex(vector("enc_answer2_stream_aes128").hex)
    ])
    const s2cPlain = vector("enc_key_answer_stream_aes128").plaintext_hex! +
      vector("enc_answer2_stream_aes128").plaintext_hex!
    const c2s = unhex(vector("enc_quest2_stream_aes128").hex)
    for (
      const [wire, plain] of [
        [s2c, s2cPlain],
        [c2s, vector("enc_quest2_stream_aes128").plaintext_hex!]
      ] as const
    ) {
      for (const parts of chunkings(wire)) {
        const dec = makeDecryptor("stream", key128, iv)
        const out = feed(dec.push, parts)
        expect(out.every((o) => o.length > 0)).toBe(true)
        expect(hex(concat(out))).toBe(plain)
      }
    }
    expect(makeDecryptor("stream", key128, iv).push(new Uint8Array(0))).toEqual([])
  })
})

describe("round trips with generated keys", () => {
  const modes: ReadonlyArray<Mode> = ["package", "stream"]
  const strengths: ReadonlyArray<Strength> = [128, 256]
  const sizes: Record<Curve, number> = { secp256k1: 32, secp256r1: 32, secp224r1: 28, secp192r1: 24 }

  for (const curve of CURVE_NAMES) {
    for (const strength of strengths) {
      for (const mode of modes) {
        it(`${curve} / ${strength} / ${mode}`, () => {
          const kp = generateKeyPair(curve)
          const client = clientKeyExchange(parseServerPublicKey(kp.publicKeyPem), strength)
          expect(client.publicKeyXY.length).toBe(2 * sizes[curve])
          const quest = parseKeyQuestPayload(keyQuestPayload(client.publicKeyXY, mode, strength))
          expect(quest.mode).toBe(mode)
          expect(quest.strength).toBe(strength)
          const server = serverKeyExchange(
            parseServerPrivateKey(kp.privateKeyRaw, curve),
            quest.publicKey,
            quest.strength
          )
          expect(hex(server.key)).toBe(hex(client.key))
          expect(hex(server.iv)).toBe(hex(client.iv))
          expect(client.key.length).toBe(strength / 8)

          const rand = prng(sizes[curve] + strength)
          const frames = Array.from(
            { length: 5 },
            (_, i) => Uint8Array.from({ length: 1 + Math.floor(rand() * 300) }, (_, j) => (i * 31 + j) & 0xff)
          )
          for (
            const [from, to] of [
              [client, server],
              [server, client]
            ] as const
          ) {
            const enc = makeEncryptor(mode, from.key, from.iv)
            const wire = concat(frames.map(enc))
            const dec = makeDecryptor(mode, to.key, to.iv)
            const out = feed(dec.push, chunkings(wire)[2]!)
            if (mode === "package") expect(out.map(hex)).toEqual(frames.map(hex))
            else expect(hex(concat(out))).toBe(hex(concat(frames)))
          }
        })
      }
    }
  }
})

describe("generateKeyPair", () => {
  for (const curve of CURVE_NAMES) {
    it(`${curve}: PEM, DER and raw forms parse to the same key`, () => {
      const kp = generateKeyPair(curve)
      const size = { secp256k1: 32, secp256r1: 32, secp224r1: 28, secp192r1: 24 }[curve]
      expect(kp.curve).toBe(curve)
      expect(kp.privateKeyRaw.length).toBe(size)
      expect(kp.publicKeyRaw.length).toBe(2 * size + 1)
      expect(kp.publicKeyPem).toContain("-----BEGIN PUBLIC KEY-----")
      expect(kp.privateKeyPem).toContain("-----BEGIN PRIVATE KEY-----")

      // The raw public key really belongs to the raw private key.
      const ecdh = createECDH(
        { secp256k1: "secp256k1", secp256r1: "prime256v1", secp224r1: "secp224r1", secp192r1: "prime192v1" }[curve]
      )
      ecdh.setPrivateKey(kp.privateKeyRaw)
      expect(hex(ecdh.getPublicKey(null, "uncompressed"))).toBe(hex(kp.publicKeyRaw))

      const point = hex(kp.publicKeyRaw)
      const pubInputs: Array<[Uint8Array | string, Curve | undefined]> = [
        [kp.publicKeyPem, undefined],
        [new Uint8Array(Buffer.from(kp.publicKeyPem)), undefined],
        [kp.publicKeyDer, undefined],
        [kp.publicKeyRaw, curve],
        [kp.publicKeyRaw.subarray(1), curve],
        [ecdh.getPublicKey(null, "compressed"), curve],
        [hex(kp.publicKeyRaw), curve]
      ]
      for (const [input, cv] of pubInputs) {
        const k = parseServerPublicKey(input, cv)
        expect(k.curve).toBe(curve)
        expect(hex(k.point)).toBe(point)
      }

      const keyObject = createPrivateKey(kp.privateKeyPem)
      const privInputs: Array<[Uint8Array | string, Curve | undefined]> = [
        [kp.privateKeyPem, undefined],
        [kp.privateKeyDer, undefined],
        [keyObject.export({ type: "sec1", format: "pem" }) as string, undefined],
        [new Uint8Array(keyObject.export({ type: "sec1", format: "der" })), undefined],
        [kp.privateKeyRaw, curve],
        [hex(kp.privateKeyRaw), curve]
      ]
      for (const [input, cv] of privInputs) {
        const k = parseServerPrivateKey(input, cv)
        expect(k.curve).toBe(curve)
        expect(hex(k.privateKey)).toBe(hex(kp.privateKeyRaw))
      }
    })
  }

  it("rejects bad private keys", () => {
    expectEncryptionError(() => parseServerPrivateKey(new Uint8Array(32)), "InvalidPrivateKey")
    expectEncryptionError(() => parseServerPrivateKey(new Uint8Array(32).fill(0xff)), "InvalidPrivateKey")
    expectEncryptionError(() => parseServerPrivateKey(new Uint8Array(31).fill(1)), "InvalidKeyFormat")
    expectEncryptionError(
      () => parseServerPrivateKey(generateKeyPair("secp256r1").privateKeyPem, "secp256k1"),
      "CurveMismatch"
    )
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey
    expectEncryptionError(
      () => parseServerPrivateKey(p384.export({ type: "pkcs8", format: "pem" }) as string),
      "UnknownCurve"
    )
  })
})

describe("serverKeyExchange rejections", () => {
  it("rejects a public key that is not exactly 2 * L bytes", () => {
    const xy = unhex(c("client_public_key_xy"))
    for (const bad of [xy.subarray(1), concat([Uint8Array.of(4), xy]), new Uint8Array(0), xy.subarray(0, 33)]) {
      expectEncryptionError(() => serverKeyExchange(serverPriv, bad, 128), "InvalidPublicKeyLength")
    }
    const p224 = parseServerPrivateKey(generateKeyPair("secp224r1").privateKeyRaw, "secp224r1")
    expectEncryptionError(() => serverKeyExchange(p224, xy, 128), "InvalidPublicKeyLength")
  })

  it("rejects a point that is not on the curve", () => {
    const xy = unhex(c("client_public_key_xy"))
    xy[63] = xy[63]! ^ 1
    expectEncryptionError(() => serverKeyExchange(serverPriv, xy, 128), "InvalidPoint")
    expectEncryptionError(() => serverKeyExchange(serverPriv, new Uint8Array(64), 128), "InvalidPoint")
  })

  it("rejects a bad strength", () => {
    expectEncryptionError(
      () => serverKeyExchange(serverPriv, unhex(c("client_public_key_xy")), 192 as Strength),
      "InvalidStrength"
    )
  })
})

describe("parseKeyQuestPayload", () => {
  const xy = unhex(c("client_public_key_xy"))

  it("accepts bin and latin1 str public keys and applies defaults", () => {
    expect(parseKeyQuestPayload({ publicKey: Buffer.from(xy) })).toEqual({
      publicKey: xy,
      mode: "package",
      strength: 128
    })
    const str = Buffer.from(xy).toString("latin1")
    const parsed = parseKeyQuestPayload({ publicKey: str, streamMode: true, bits: 256 })
    expect(hex(parsed.publicKey)).toBe(hex(xy))
    expect(parsed.mode).toBe("stream")
    expect(parsed.strength).toBe(256)
    expect(parseKeyQuestPayload({ publicKey: xy, streamMode: false, bits: 128n }).strength).toBe(128)
    expect(parseKeyQuestPayload(new Map<string, unknown>([["publicKey", xy], ["bits", 256]])).strength).toBe(256)
    // The server-side result of the vector's payload feeds straight into the exchange.
    const r = serverKeyExchange(serverPriv, parseKeyQuestPayload({ publicKey: str }).publicKey, 128)
    expect(hex(r.key)).toBe(c("aes128_key"))
  })

  it("rejects bad bits, streamMode and publicKey", () => {
    for (const bits of [192, 0, 512, "128", 128.5, true, -128]) {
      expectEncryptionError(() => parseKeyQuestPayload({ publicKey: xy, bits }), "InvalidBits")
    }
    expectEncryptionError(() => parseKeyQuestPayload({ publicKey: xy, streamMode: 1 }), "InvalidKeyQuest")
    expectEncryptionError(() => parseKeyQuestPayload({ streamMode: true }), "InvalidKeyQuest")
    expectEncryptionError(() => parseKeyQuestPayload({ publicKey: 42 }), "InvalidKeyQuest")
    expectEncryptionError(() => parseKeyQuestPayload({ publicKey: "\u20ac" }), "InvalidKeyQuest")
    expectEncryptionError(() => parseKeyQuestPayload(null), "InvalidKeyQuest")
    expectEncryptionError(() => parseKeyQuestPayload([xy]), "InvalidKeyQuest")
  })
})

describe("package mode over a long-lived block cipher", () => {
  // The reference construction (§12.6): a fresh AES-CFB cipher from the IV per frame.
  const reference = (key: Uint8Array, iv: Uint8Array, frame: Uint8Array): string => {
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32LE(frame.length, 0)
    const c = createCipheriv(key.length === 16 ? "aes-128-cfb" : "aes-256-cfb", key, iv)
    return Buffer.concat([prefix, c.update(frame), c.final()]).toString("hex")
  }

  for (const bits of [128, 256]) {
    it(`AES-${bits}: every frame size from 1 to 600 bytes matches a fresh CFB cipher, and decrypts back`, () => {
      const key = randomBytes(bits / 8)
      const iv = randomBytes(16)
      const enc = makeEncryptor("package", key, iv)
      const dec = makeDecryptor("package", key, iv)
      for (let size = 1; size <= 600; size++) {
        const frame = randomBytes(size)
        const wire = enc(frame)
        expect(Buffer.from(wire).toString("hex")).toBe(reference(key, iv, frame))
        const out = dec.push(wire)
        expect(out).toHaveLength(1)
        expect(Buffer.from(out[0]!).equals(frame)).toBe(true)
      }
    })
  }
})

describe("batches of frames (the connection's outbox and received chunks)", () => {
  const reference = (key: Uint8Array, iv: Uint8Array, frame: Uint8Array): Buffer => {
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32LE(frame.length, 0)
    const c = createCipheriv(key.length === 16 ? "aes-128-cfb" : "aes-256-cfb", key, iv)
    return Buffer.concat([prefix, c.update(frame), c.final()])
  }
  // Short (lockstep) and long (rewound cipher) frames mixed, batches of 1 to 40 frames in a row.
  const batches = (seed: number): Array<Array<Uint8Array>> => {
    const rand = prng(seed)
    const sizes = [1, 15, 16, 17, 24, 112, 255, 256, 257, 1000, 4096, 70_000]
    return Array.from(
      { length: 30 },
      (_, b) =>
        Array.from({ length: 1 + Math.floor(rand() * (b % 3 === 0 ? 3 : 40)) }, () => {
          const size = rand() < 0.5 ? sizes[Math.floor(rand() * sizes.length)]! : 1 + Math.floor(rand() * 400)
          return randomBytes(size)
        })
    )
  }

  for (const bits of [128, 256]) {
    it(`package AES-${bits}: each batch equals its frames' fresh-cipher packages, and one push decrypts it`, () => {
      const key = randomBytes(bits / 8)
      const iv = randomBytes(16)
      const sender = makeConnectionCipher("package", key, iv)
      const receiver = makeConnectionCipher("package", key, iv)
      for (const frames of batches(bits)) {
        const wire = concat(sender.encrypt(frames))
        expect(hex(wire)).toBe(hex(concat(frames.map((f) => reference(key, iv, f)))))
        const out = receiver.decrypt.push(wire)
        expect(out.map(hex)).toEqual(frames.map(hex))
      }
      expect(receiver.decrypt.buffered).toBe(0)
    })

    it(`stream AES-${bits}: a batch equals the frames through one cipher, in order`, () => {
      const key = randomBytes(bits / 8)
      const iv = randomBytes(16)
      const sender = makeConnectionCipher("stream", key, iv)
      const receiver = makeConnectionCipher("stream", key, iv)
      const reference = createCipheriv(`aes-${bits}-cfb`, key, iv)
      for (const frames of batches(bits + 1)) {
        const wire = concat(sender.encrypt(frames))
        expect(hex(wire)).toBe(hex(reference.update(concat(frames))))
        expect(hex(concat(receiver.decrypt.push(wire)))).toBe(hex(concat(frames)))
      }
    })
  }

  it("package: packages split across chunks decrypt with the whole ones of the same chunk", () => {
    const key = randomBytes(16)
    const iv = randomBytes(16)
    const frames = batches(7).slice(0, 6).flat()
    const wire = concat(makeConnectionCipher("package", key, iv).encrypt(frames))
    for (const parts of chunkings(wire).slice(2, 8)) {
      const dec = makeConnectionCipher("package", key, iv).decrypt
      expect(feed(dec.push, parts).map(hex)).toEqual(frames.map(hex))
    }
  })
})
