// Ports on 127.0.0.1 on which nothing listens, for "connection refused" and for servers
// restarted on a port chosen in advance.
import { Effect } from "effect"
import * as Net from "node:net"

/** A port on 127.0.0.1 on which nothing listens (bound, then released). */
export const freePort: Effect.Effect<number> = Effect.callback<number>((resume) => {
  const s = Net.createServer()
  s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as Net.AddressInfo).port
    s.close(() => resume(Effect.succeed(port)))
  })
})

/** `freePort` for promise-based tests. */
export const closedPort = (): Promise<number> => Effect.runPromise(freePort)

/** Whether a TCP connection to 127.0.0.1:port is accepted. */
export const canConnect = (port: number): Promise<boolean> =>
  new Promise((r) => {
    const socket = Net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      r(true)
    })
    socket.once("error", () => r(false))
  })
