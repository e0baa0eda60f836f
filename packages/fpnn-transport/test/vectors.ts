// Loads fixtures/vectors.json: the byte-exact reference vectors (frames, msgpack, signing, encryption).
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface Vector {
  readonly name: string
  readonly description: string
  readonly source: string
  readonly hex: string
  readonly decoded: Record<string, any>
}

const path = fileURLToPath(new URL("./fixtures/vectors.json", import.meta.url))
export const vectors: ReadonlyArray<Vector> = JSON.parse(readFileSync(path, "utf8")).vectors

export const vector = (name: string): Vector => {
  const v = vectors.find((x) => x.name === name)
  if (v === undefined) throw new Error(`no vector ${name}`)
  return v
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
