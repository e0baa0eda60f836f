// The reference vectors (packages/fpnn-transport/test/fixtures/vectors.json), loaded once by the transport's tests.
export { toHex, type Vector, vector, vectors } from "../../fpnn-transport/test/vectors.js"
