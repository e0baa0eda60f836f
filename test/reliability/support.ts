// Fixtures of the reliability suite (RELIABILITY.md): misbehaving raw TCP peers that
// record what reaches them, the SDK on its own transport, counters of live fibers,
// sockets and timers, and a guard that fails a file when anything escaped as an
// unhandled rejection or an uncaught exception.
import { afterAll, beforeAll, expect } from "@effect/vitest"
import { type Client, Codec, FpnnClient, Frame } from "@rtm-voice/fpnn-transport"
import { makeVoiceRoomClient, type VoiceRoomClientOptions } from "@rtm-voice/voice-room"
import { Effect, Metric, Redacted } from "effect"
import * as Net from "node:net"

export const PID = 11000002
/** Distinctive, so that a leak anywhere is found by a plain substring search. */
export const SECRET_TEXT = "rel-SECRET-9b1e4d-must-never-leak"
export const SECRET = Redacted.make(SECRET_TEXT)

// ---- raw peers (@rtm-voice/test-support's)

import { freePort, type PeerOptions, type RawPeer as Peer, rawPeer } from "@rtm-voice/test-support"
export { freePort, type Peer, type PeerOptions, rawPeer }

/** Calls `onQuest(seq, socket)` for every twoway quest a raw peer receives. */
export const onQuests = (socket: Net.Socket, onQuest: (seq: number) => void): void => {
  const reader = new Frame.FrameReader()
  socket.on("data", (d) => reader.push(d, (f) => void (f._tag === "Quest" && f.twoway && onQuest(f.seq))))
}

/** A valid OK answer `{count: 1}` (what getVoiceRoomMemberCount expects). */
export const countAnswer = (seq: number): Buffer =>
  Buffer.from(Frame.encodeAnswer(seq, 0, Codec.encodePayload({ count: 1 })))

// ---- the faults, as peer behaviours (the same table drives the SDK and the CLI tests)

export type Fault =
  | "silent"
  | "garbage"
  | "closeAtOnce"
  | "hugeHeader"
  | "wrongSeq"
  | "closeMidCall"
  | "halfOpen"
  | "slowLoris"

export const faultPeer = (fault: Fault) => {
  switch (fault) {
    case "silent": // accepts, reads, never answers
      return rawPeer(() => {})
    case "garbage": // an HTTP error page, as a misconfigured proxy or load balancer sends
      return rawPeer((socket) =>
        socket.once("data", () =>
          socket.end(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 52\r\n\r\n" +
              "<html><body><h1>502 Bad Gateway</h1></body></html>\r\n"
          ))
      )
    case "closeAtOnce": // accepts and closes before reading anything
      return rawPeer((socket) => socket.destroy())
    case "hugeHeader": // a valid header announcing a 4 GiB payload, then a trickle of bytes
      return rawPeer((socket) =>
        onQuests(socket, (seq) => {
          const h = Buffer.from(Frame.encodeAnswer(seq, 0, new Uint8Array(0)))
          h.writeUInt32LE(0xffffffff, 8)
          socket.write(h)
          socket.write(Buffer.alloc(1024))
        })
      )
    case "wrongSeq": // well-formed answers under another sequence number
      return rawPeer((socket) => onQuests(socket, (seq) => socket.write(countAnswer((seq + 1000) >>> 0))))
    case "closeMidCall": // reads the quest, then drops the connection 50 ms later
      return rawPeer((socket) => socket.once("data", () => setTimeout(() => socket.destroy(), 50)))
    case "halfOpen": // never reads: our writes pile up in its receive window, then ours
      return rawPeer((socket) => socket.pause(), { record: false })
    case "slowLoris": // answers correctly, but one byte every 40 ms (a 24-byte answer takes ~1 s)
      return rawPeer((socket) => {
        const queue: Array<number> = []
        const timer = setInterval(() => {
          if (queue.length > 0 && !socket.destroyed) socket.write(Buffer.of(queue.shift()!))
        }, 40)
        socket.on("close", () => clearInterval(timer))
        onQuests(socket, (seq) => queue.push(...countAnswer(seq)))
      })
  }
}

// ---- the SDK on its own transport

/** A VoiceRoomClient on its own FpnnClient (both returned), closed with the scope. */
export const voiceClient = (
  endpoint: string,
  options: Partial<VoiceRoomClientOptions> = {},
  transport: Partial<Client.FpnnClientOptions> = {}
) =>
  Effect.gen(function*() {
    const fpnn = yield* FpnnClient.make({ endpoint, connectTimeout: "2 seconds", ...transport })
    const client = yield* makeVoiceRoomClient(fpnn, { pid: PID, secret: SECRET, ...options })
    return { client, fpnn }
  })

// ---- counting what is left behind

/** Node handles and requests by type (process.getActiveResourcesInfo()). */
export const resources = (): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1
  return out
}
export const tcpSockets = (): number => resources()["TCPSocketWrap"] ?? 0
export const tcpServers = (): number => resources()["TCPServerWrap"] ?? 0
export const timers = (): number => resources()["Timeout"] ?? 0
/** Socket writes libuv has not completed: > 0 while a peer is not reading. */
export const writesInFlight = (): number => (resources()["WriteWrap"] ?? 0) + (resources()["SimpleWriteWrap"] ?? 0)

/**
 * Counts live fibers: provided as `Metric.FiberRuntimeMetrics`, every fiber forked
 * under it (the clients', the emulator's per-connection fibers, the call fibers)
 * reports its start and end here — Effect 4's replacement for a v3 Supervisor.
 */
export const fiberCounter = () => {
  let started = 0
  let ended = 0
  const service: Metric.FiberRuntimeMetricsService = {
    recordFiberStart: () => void started++,
    recordFiberEnd: () => void ended++
  }
  return {
    get started() {
      return started
    },
    get live() {
      return started - ended
    },
    /** Runs `effect` with every fiber it forks counted. */
    track: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provideService(effect, Metric.FiberRuntimeMetrics, service)
  }
}

/**
 * How late a timer may fire on a loaded machine (two cores shared by parallel test files):
 * a bound of the form "at its timeout" is `timeout + SLACK`. It tells a timeout that fires
 * from one that does not (a hang); it is not a speed claim, which is the bench's.
 */
export const SLACK = 2000

/**
 * Polls `probe` until it holds (or `millis` passed: generous, since only a failure waits
 * that long); returns its last value.
 */
export const eventually = <A>(probe: () => A, holds: (a: A) => boolean, millis = 10_000) =>
  Effect.gen(function*() {
    const until = Date.now() + millis
    let value = probe()
    while (!holds(value) && Date.now() < until) {
      yield* Effect.sleep(10)
      value = probe()
    }
    return value
  })

/** Milliseconds an effect took, with its result. */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = Date.now()
    const value = yield* effect
    return { value, millis: Date.now() - start }
  })

// ---- process-level guard

/**
 * Registers 'unhandledRejection' / 'uncaughtException' listeners for the file and
 * asserts at its end that none fired. (A listener also keeps vitest from treating
 * the first one as fatal, so all of them are reported together.)
 */
export const guardProcess = () => {
  const escaped: Array<string> = []
  const onRejection = (reason: unknown) => void escaped.push(`unhandledRejection: ${String(reason)}`)
  const onException = (error: unknown) => void escaped.push(`uncaughtException: ${String(error)}`)
  beforeAll(() => {
    process.on("unhandledRejection", onRejection)
    process.on("uncaughtException", onException)
  })
  afterAll(() => {
    process.off("unhandledRejection", onRejection)
    process.off("uncaughtException", onException)
    expect(escaped).toEqual([])
  })
  return { escaped }
}
