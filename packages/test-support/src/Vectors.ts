// The byte-exact reference vectors (frames, msgpack, signing, encryption) and the reference
// server public key: fixtures/ of this package, read by the transport's and the SDK's tests.
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface Vector {
  readonly name: string
  readonly description: string
  readonly source: string
  readonly hex: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- vectors.json's shapes differ per vector
  readonly decoded: Record<string, any>
  /** Encryption vectors: the frame before encryption. */
  readonly plaintext_hex?: string
  /** Encryption vectors: keys, IV and curve, hex-encoded. */
  readonly crypto?: Record<string, string>
}

/** fixtures/vectors.json */
export const vectorsPath = fileURLToPath(new URL("../fixtures/vectors.json", import.meta.url))
/** fixtures/server-public.pem: the reference server public key, as a user hands it to the client. */
export const pemPath = fileURLToPath(new URL("../fixtures/server-public.pem", import.meta.url))

export const vectors: ReadonlyArray<Vector> = JSON.parse(readFileSync(vectorsPath, "utf8")).vectors

export const vector = (name: string): Vector => {
  const v = vectors.find((x) => x.name === name)
  if (v === undefined) throw new Error(`no vector ${name}`)
  return v
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
