// Real TCP peers on 127.0.0.1 for tests: raw node:net servers that misbehave on purpose
// (the transport's tests, the reliability suite) or only count what connects (the CLI's).
import { Effect } from "effect"
import * as Net from "node:net"

export interface RawPeer {
  readonly port: number
  readonly endpoint: string
  /** Sockets accepted and still open, on the peer's side. */
  readonly sockets: Set<Net.Socket>
  /** Connections accepted so far. */
  readonly connections: () => number
  /** Date.now() of each accepted connection. */
  readonly acceptedAt: ReadonlyArray<number>
  /** Bytes received so far, all connections concatenated (when recording). */
  readonly received: () => Buffer
}

export interface PeerOptions {
  /** Record received bytes (attaches a `data` listener, i.e. keeps reading). Default true. */
  readonly record?: boolean | undefined
}

/** A raw node:net server on 127.0.0.1 whose per-connection behaviour is `onConnection`. */
export const rawPeer = (onConnection: (socket: Net.Socket, peer: RawPeer) => void, options: PeerOptions = {}) =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; peer: RawPeer }>((resume) => {
      const sockets = new Set<Net.Socket>()
      const chunks: Array<Buffer> = []
      const acceptedAt: Array<number> = []
      let count = 0
      let peer: RawPeer
      const server = Net.createServer((socket) => {
        count++
        acceptedAt.push(Date.now())
        sockets.add(socket)
        if (options.record !== false) socket.on("data", (d) => chunks.push(d))
        socket.on("error", () => {})
        socket.on("close", () => sockets.delete(socket))
        onConnection(socket, peer)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        peer = {
          port,
          endpoint: `127.0.0.1:${port}`,
          sockets,
          connections: () => count,
          acceptedAt,
          received: () => Buffer.concat(chunks)
        }
        resume(Effect.succeed({ server, peer }))
      })
    }),
    ({ peer, server }) =>
      Effect.callback<void>((resume) => {
        for (const s of peer.sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ peer }) => peer))

/** A raw TCP listener that records every connection it accepts (and answers nothing). */
export const recordingListener = async () => {
  let connections = 0
  const sockets = new Set<Net.Socket>()
  const server = Net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const { port } = server.address() as Net.AddressInfo
  return {
    address: `127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      })
  }
}
