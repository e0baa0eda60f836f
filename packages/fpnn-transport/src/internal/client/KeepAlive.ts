/**
 * Keep-alive of a client connection: a `*ping` after `intervalMillis` of silence, and
 * the connection closed (KeepaliveTimeout) after `deadAfterMillis`.
 */
import { Effect, type Scope } from "effect"
import { connectionError } from "../../Errors.js"
import type { ResolvedKeepalive } from "../../Options.js"
import type { FpnnConnection } from "../connection/Connection.js"

export const keepAlive = (conn: FpnnConnection, o: ResolvedKeepalive): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const interval = o.intervalMillis
    const deadAfter = o.deadAfterMillis
    let pinging = false
    while (conn.closed === undefined) {
      yield* Effect.sleep(Math.max(10, Math.min(interval, deadAfter - interval) / 4))
      const silence = Date.now() - conn.lastReceivedAt
      if (silence >= deadAfter) {
        conn.close(
          connectionError("KeepaliveTimeout", {
            endpoint: conn.endpoint,
            sent: false,
            detail: `sent nothing for ${silence} ms`
          })
        )
      } else if (silence >= interval && !pinging) {
        pinging = true
        yield* Effect.forkScoped(
          conn.request("*ping", {}).pipe(Effect.ignore, Effect.ensuring(Effect.sync(() => (pinging = false))))
        )
      }
    }
  })
