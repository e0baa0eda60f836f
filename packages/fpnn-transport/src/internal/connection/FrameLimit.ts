/**
 * What the frame limit does to each direction (RELIABILITY.md, bad input and oversized
 * answer): a quest over it is refused before any byte is sent, and an answer over it is
 * replaced by an error answer. The peer closes the connection on such a frame, which
 * would fail every other call in flight on it as well.
 */
import { type FpnnProtocolError, protocolError } from "../../Errors.js"
import { FpnnErrorCode } from "../../FpnnCodes.js"
import { encodeAnswer, FLAG_JSON, FLAG_MSGPACK, type Quest } from "../../Frame.js"
import { encodeJsonPayload } from "../codec/Json.js"
import { encodePayload, type Payload } from "../codec/Msgpack.js"

/** The error of a quest frame of `length` bytes over `maxFrameBytes`; `undefined` when it fits. */
export const oversizedQuest = (length: number, maxFrameBytes: number): FpnnProtocolError | undefined =>
  length <= maxFrameBytes ? undefined : protocolError(
    "Oversized",
    `the quest is ${length} bytes, over the frame limit of ${maxFrameBytes} bytes ` +
      "(FPNN servers close the connection on such a frame); nothing was sent. Split the request, " +
      "or raise maxFrameBytes if the server accepts larger frames"
  )

/** The text of a thrown value. */
export const messageOf = (e: unknown): string => e instanceof Error ? e.message : String(e)

export interface AnswerFrame {
  readonly frame: Uint8Array
  /** The size of the answer that was replaced for being over the limit, if it was. */
  readonly oversizedBytes?: number
}

/**
 * The frame of an answer, in the quest's encoding (msgpack or JSON): a payload that
 * cannot be encoded, or whose frame is over the limit, is answered with an
 * `EncodingError` error answer instead.
 */
export const answerFrame = (quest: Quest, payload: Payload, status: number, maxFrameBytes: number): AnswerFrame => {
  let bytes: Uint8Array
  let flag = quest.flag
  try {
    bytes = flag & FLAG_JSON ? encodeJsonPayload(payload) : encodePayload(payload)
  } catch (e) {
    flag = FLAG_MSGPACK
    status = 1
    bytes = encodePayload({ code: FpnnErrorCode.EncodingError, ex: `answer could not be encoded: ${messageOf(e)}` })
  }
  const frame = encodeAnswer(quest.seq, status, bytes, flag, quest.version)
  if (frame.length <= maxFrameBytes) return { frame }
  const ex = `the answer to ${quest.method} is ${frame.length} bytes, over the frame limit of ${maxFrameBytes} bytes`
  const replacement = encodePayload({ code: FpnnErrorCode.EncodingError, ex })
  return {
    frame: encodeAnswer(quest.seq, 1, replacement, FLAG_MSGPACK, quest.version),
    oversizedBytes: frame.length
  }
}
