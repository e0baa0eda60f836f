// Loads /work/shared/spec/vectors.json (beside the project) at test time.
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface Vector {
  readonly name: string
  readonly hex: string
  readonly decoded: Record<string, any>
}

const path = fileURLToPath(new URL("../../../../shared/spec/vectors.json", import.meta.url))
export const vectors: ReadonlyArray<Vector> = JSON.parse(readFileSync(path, "utf8")).vectors

export const vector = (name: string): Vector => {
  const v = vectors.find((x) => x.name === name)
  if (v === undefined) throw new Error(`no vector ${name}`)
  return v
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
