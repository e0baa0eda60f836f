// Real TCP peers on 127.0.0.1 for tests: raw node:net servers that misbehave on purpose.
import { Effect } from "effect"
import * as Net from "node:net"

export interface RawPeer {
  readonly port: number
  readonly endpoint: string
  readonly sockets: Set<Net.Socket>
  /** Bytes received from clients, all connections concatenated. */
  readonly received: () => Buffer
  readonly connections: () => number
}

/** A raw TCP server whose behaviour per connection is `onConnection`; closed with the scope. */
export const rawPeer = (onConnection: (socket: Net.Socket, peer: RawPeer) => void) =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; peer: RawPeer }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const chunks: Array<Buffer> = []
      let count = 0
      const server = Net.createServer((socket) => {
        count++
        sockets.add(socket)
        socket.on("data", (d) => chunks.push(d))
        socket.on("error", () => {})
        socket.on("close", () => sockets.delete(socket))
        onConnection(socket, peer)
      })
      let peer: RawPeer
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        peer = {
          port,
          endpoint: `127.0.0.1:${port}`,
          sockets,
          received: () => Buffer.concat(chunks),
          connections: () => count
        }
        resume(Effect.succeed({ server, peer }))
      })
    }),
    ({ server, peer }) =>
      Effect.callback<void>((resume) => {
        for (const s of peer.sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ peer }) => peer))

/** A port on which nothing listens (bound, then released). */
export const freePort = Effect.callback<number>((resume) => {
  const s = Net.createServer()
  s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as Net.AddressInfo).port
    s.close(() => resume(Effect.succeed(port)))
  })
})
