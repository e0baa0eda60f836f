/** The socket's side of a connection's end: its release, and its errors as connection errors. */
import { Effect, type Scope } from "effect"
import { Socket } from "effect/socket"
import { connectionError, type FpnnConnectionError } from "../../Errors.js"

/**
 * Destroys the socket when the caller's scope closes; register it right after acquiring
 * the writer (it then runs before the writer's release). NodeSocket's own release only
 * half-closes (end / destroySoon), which never completes while unflushed bytes wait for a
 * peer that stopped reading: the socket and its buffered writes would leak for good
 * (RELIABILITY.md, half-open peer). Pending calls have already failed by then.
 */
export const destroyOnRelease = (writer: {
  readonly write: (chunk: Uint8Array | string | Socket.CloseEvent) => Effect.Effect<void, Socket.SocketError>
}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.addFinalizer(() => Effect.ignore(writer.write(new Socket.CloseEvent(1000))))

/** Maps a socket failure to the connection error the pending calls see. */
export const socketError = (endpoint: string, error: Socket.SocketError): FpnnConnectionError => {
  const reason = error.reason
  const cause = "cause" in reason ? reason.cause : undefined
  const code = (cause as { code?: string } | undefined)?.code
  switch (reason._tag) {
    case "SocketOpenError":
      if (reason.kind === "Timeout") return connectionError("ConnectTimeout", { endpoint, sent: false, cause })
      if (code === "ECONNREFUSED") return connectionError("Refused", { endpoint, sent: false, cause })
      if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
        return connectionError("Unresolved", { endpoint, sent: false, detail: code, cause })
      }
      return connectionError("Unknown", {
        endpoint,
        sent: false,
        detail: `${code ? `${code}: ` : ""}${String((cause as Error | undefined)?.message ?? reason.message)}`,
        cause
      })
    default:
      // The connection-level error: each pending call sees it as sent or not (see `close`).
      return connectionError("Closed", { endpoint, sent: false, detail: code, cause })
  }
}
