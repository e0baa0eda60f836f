// A recording TCP proxy on 127.0.0.1: the tests that must see the wire (encryption, the
// secret never sent, replayed quests) put it between a client and a real server.
import { Effect } from "effect"
import * as Net from "node:net"

export interface TcpProxy {
  readonly endpoint: string
  /** Client → server bytes, all connections concatenated. */
  readonly up: () => Buffer
  /** Server → client bytes, all connections concatenated. */
  readonly down: () => Buffer
  /** Both directions: every client → server byte, then every server → client byte. */
  readonly wire: () => Buffer
  readonly connections: () => number
  /** Destroys every proxied socket pair (a network failure for both ends). */
  readonly cut: () => void
}

/** A recording TCP proxy on 127.0.0.1 in front of `targetPort`; closed with the scope. */
export const tcpProxy = (targetPort: number) =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; proxy: TcpProxy; sockets: Set<Net.Socket> }>((resume) => {
      const up: Array<Buffer> = []
      const down: Array<Buffer> = []
      const sockets = new Set<Net.Socket>()
      let connections = 0
      const server = Net.createServer((downstream) => {
        connections++
        const upstream = Net.connect(targetPort, "127.0.0.1")
        for (const s of [downstream, upstream]) {
          sockets.add(s)
          s.on("error", () => {})
          s.on("close", () => {
            sockets.delete(s)
            downstream.destroy()
            upstream.destroy()
          })
        }
        downstream.on("data", (d: Buffer) => {
          up.push(Buffer.from(d))
          upstream.write(d)
        })
        upstream.on("data", (d: Buffer) => {
          down.push(Buffer.from(d))
          downstream.write(d)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as Net.AddressInfo).port
        const proxy: TcpProxy = {
          endpoint: `127.0.0.1:${port}`,
          up: () => Buffer.concat(up),
          down: () => Buffer.concat(down),
          wire: () => Buffer.concat([...up, ...down]),
          connections: () => connections,
          cut: () => {
            for (const s of sockets) s.destroy()
          }
        }
        resume(Effect.succeed({ server, proxy, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.callback<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ proxy }) => proxy))
