// The reference vectors (../shared/spec/vectors.json), loaded once by the transport's tests.
export { toHex, type Vector, vector, vectors } from "../../fpnn-transport/test/vectors.js"
