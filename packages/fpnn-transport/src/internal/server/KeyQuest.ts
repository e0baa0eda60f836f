/** The server side of the `*key` handshake that opens an encrypted connection (FPNN.md §12.3). */
import { connectionError } from "../../Errors.js"
import type { Quest } from "../../Frame.js"
import type { Payload } from "../codec/Msgpack.js"
import type { FpnnConnection } from "../connection/Connection.js"
import { makeConnectionCipher } from "../encryption/Cipher.js"
import { serverKeyExchange } from "../encryption/KeyExchange.js"
import { keyQuestPublicKeyBytes, parseKeyQuestPayload } from "../encryption/KeyQuest.js"
import type { ServerPrivateKey } from "../encryption/Keys.js"

/**
 * Accepts the `*key` quest and sets the connection's cipher, answering it (already
 * encrypted); `false` when it is rejected, which closes the connection without an answer.
 * `*key` must be the first frame.
 */
export const acceptKeyQuest = (
  conn: FpnnConnection,
  quest: Quest,
  payload: Payload,
  privateKey: ServerPrivateKey | undefined,
  maxFrameBytes: number,
  remoteAddress: string
): boolean => {
  const reject = (why: string) => {
    conn.close(
      connectionError("Encryption", {
        endpoint: remoteAddress,
        sent: false,
        detail: `key exchange from ${remoteAddress} rejected: ${why}`
      })
    )
    return false
  }
  if (privateKey === undefined) return reject("this server has no encryption key")
  // framesReceived counts answers too: an unsolicited answer before `*key` also fails it.
  if (conn.framesReceived !== 1 || !quest.twoway) return reject("*key must be the first frame, sent twoway")
  try {
    // A str publicKey (C++ client) is UTF-8-decoded by the codec, which corrupts
    // bytes >= 0x80: read its raw bytes from the frame instead.
    const rawKey = typeof payload.publicKey === "string" ? keyQuestPublicKeyBytes(quest.payload) : undefined
    const request = parseKeyQuestPayload(rawKey === undefined ? payload : { ...payload, publicKey: rawKey })
    const { key, iv } = serverKeyExchange(privateKey, request.publicKey, request.strength)
    conn.setCipher(makeConnectionCipher(request.mode, key, iv, maxFrameBytes))
    conn.answer(quest, {})
    return true
  } catch (e) {
    return reject((e as Error).message)
  }
}
