/** The client side of the `*key` handshake that opens an encrypted connection (FPNN.md §12.3). */
import { Effect } from "effect"
import { connectionError, type FpnnConnectionError, withSent } from "../../Errors.js"
import { encodeQuest } from "../../Frame.js"
import type { ResolvedEncryption } from "../../Options.js"
import type { Payload } from "../codec/Msgpack.js"
import { encodePayload } from "../codec/Msgpack.js"
import type { FpnnConnection } from "../connection/Connection.js"
import { makeConnectionCipher } from "../encryption/Cipher.js"
import { clientKeyExchange } from "../encryption/KeyExchange.js"
import { keyQuestPayload } from "../encryption/KeyQuest.js"

export const keyExchange = (
  conn: FpnnConnection,
  encryption: ResolvedEncryption,
  maxFrameBytes: number,
  spanAttributes: Record<string, string | number>
): Effect.Effect<Payload, FpnnConnectionError> =>
  Effect.suspend(() => {
    const { mode, serverKey, strength } = encryption
    const endpoint = conn.endpoint
    const exchange = clientKeyExchange(serverKey, strength)
    const request = conn.handshake(
      encodeQuest("*key", 1, encodePayload({ ...keyQuestPayload(exchange.publicKeyXY, mode, strength) })),
      1,
      makeConnectionCipher(mode, exchange.key, exchange.iv, maxFrameBytes)
    )
    const attributes = { ...spanAttributes, "fpnn.encryption.mode": mode, "fpnn.encryption.strength": strength }
    return request.pipe(
      Effect.mapError((e) =>
        // Undecryptable answer (wrong key): Connection.ts already explains it.
        e._tag === "FpnnConnectionError" && e.reason._tag === "Encryption"
          ? withSent(e, false)
          : connectionError("Encryption", {
            endpoint,
            // The *key quest is the transport's own: the caller's quest was never written.
            sent: false,
            detail: `the key exchange with ${endpoint} failed: ` +
              (e._tag === "FpnnConnectionError" && e.reason._tag === "Closed"
                ? "the server closed the connection without answering the *key quest (a server does so when it " +
                  "cannot accept the key exchange: encryption disabled, another curve, a bad key or strength)"
                : e.message),
            cause: e
          })
      ),
      Effect.tap(() => Effect.logDebug(`key exchange with ${endpoint} done`).pipe(Effect.annotateLogs(attributes))),
      Effect.tapError((e) =>
        Effect.annotateCurrentSpan({ "error.type": e.reason._tag }).pipe(
          Effect.andThen(Effect.logWarning(e.message).pipe(Effect.annotateLogs(attributes)))
        )
      ),
      Effect.withSpan("FpnnClient.keyExchange", { kind: "client", attributes }, { captureStackTrace: false })
    )
  })
