// Peer faults against the SDK (VoiceRoomClient over its own FpnnClient): every call ends
// with its answer or a tagged error, on time — fast for faults the transport can see,
// at the call's timeout for silent ones — and nothing is left behind: no pending call,
// no socket, once the client's scope closes.
import { assert, describe, expect, it } from "@effect/vitest"
import type { VoiceRoomClientService, VoiceRoomError } from "@rtm-voice/voice-room"
import { Effect, Exit, Fiber, Scope } from "effect"
import {
  eventually,
  type Fault,
  faultPeer,
  freePort,
  guardProcess,
  type Peer,
  SLACK,
  tcpSockets,
  timed,
  voiceClient,
  writesInFlight
} from "./support.js"

guardProcess()

const TIMEOUT = 600
/**
 * A silent fault fails the call at its timeout: not before, and not never. (A fault the
 * transport can see fails it before: its tag and reason say so, as a timeout would be an
 * FpnnTimeoutError.)
 */
const atTimeout = (millis: number) => {
  expect(millis).toBeGreaterThanOrEqual(TIMEOUT - 20)
  expect(millis).toBeLessThan(TIMEOUT + SLACK)
}

interface Expected {
  readonly tag: VoiceRoomError["_tag"]
  readonly reason?: string
  readonly message?: string
  readonly fast: boolean
}

const expectations: Record<Fault, Expected> = {
  silent: { tag: "FpnnTimeoutError", fast: false },
  garbage: { tag: "FpnnConnectionError", reason: "ProtocolViolation", message: "BadMagic", fast: true },
  closeAtOnce: { tag: "FpnnConnectionError", reason: "Closed", fast: true },
  hugeHeader: { tag: "FpnnConnectionError", reason: "ProtocolViolation", message: "Oversized", fast: true },
  wrongSeq: { tag: "FpnnTimeoutError", fast: false },
  closeMidCall: { tag: "FpnnConnectionError", reason: "Closed", fast: true },
  halfOpen: { tag: "FpnnTimeoutError", fast: false },
  slowLoris: { tag: "FpnnTimeoutError", fast: false }
}

const checkError = (e: VoiceRoomError, expected: Expected) => {
  expect(e._tag).toBe(expected.tag)
  if (expected.reason !== undefined) expect((e as { reason?: { _tag: string } }).reason?._tag).toBe(expected.reason)
  if (expected.message !== undefined) expect(e.message).toContain(expected.message)
  if (e._tag === "FpnnTimeoutError") expect(e.timeoutMillis).toBe(TIMEOUT)
}

/**
 * Runs `calls` concurrently on a fresh client inside its own scope, then closes it and
 * checks that the client left no socket open (the peer's own sockets excepted).
 */
const againstPeer = <A, E>(
  endpoint: string,
  peer: Peer | undefined,
  calls: (client: VoiceRoomClientService) => ReadonlyArray<Effect.Effect<A, E>>
) =>
  Effect.gen(function*() {
    const before = tcpSockets() - (peer?.sockets.size ?? 0)
    const scope = yield* Scope.make()
    const { client, fpnn } = yield* voiceClient(endpoint).pipe(Scope.provide(scope))
    const { millis, value: errors } = yield* timed(
      Effect.forEach(calls(client), (call) => Effect.flip(call), { concurrency: "unbounded" })
    )
    expect(yield* fpnn.pendingCount).toBe(0) // nothing left waiting
    const stuckWrites = writesInFlight()
    const closing = yield* timed(Scope.close(scope, Exit.void))
    expect(closing.millis).toBeLessThan(SLACK) // closing the client never hangs
    const left = yield* eventually(() => tcpSockets() - (peer?.sockets.size ?? 0), (n) => n <= before)
    expect(left, "client sockets left open after its scope closed").toBeLessThanOrEqual(before)
    return { errors, millis, stuckWrites }
  })

describe("peer faults against VoiceRoomClient", () => {
  for (const fault of Object.keys(expectations) as Array<Fault>) {
    if (fault === "halfOpen") continue // below, with writes big enough to fill the buffers
    const expected = expectations[fault]
    it.live(`${fault}: 5 concurrent calls each fail with ${expected.tag}${expected.reason ? ` (${expected.reason})` : ""}${expected.fast ? ", at once" : ", at the timeout"}`, () =>
      Effect.gen(function*() {
        const peer = yield* faultPeer(fault)
        const { errors, millis } = yield* againstPeer(
          peer.endpoint,
          peer,
          (client) => Array.from({ length: 5 }, (_, i) => client.getVoiceRoomMemberCount(i + 1, { timeout: TIMEOUT }))
        )
        expect(errors).toHaveLength(5)
        for (const e of errors) checkError(e, expected)
        if (!expected.fast) atTimeout(millis)
        expect(peer.connections()).toBeGreaterThanOrEqual(1) // the fault really was exercised
      }))
  }

  it.live("halfOpen: a peer that stops reading — the writer blocks on a full buffer; calls still time out on time, the connection is kept, closing the client does not hang and frees the socket", () =>
    Effect.gen(function*() {
      const peer = yield* faultPeer("halfOpen")
      // 16 quests of ~1.25 MB each: far more than the loopback socket buffers hold. Ids above
      // 2^32 take 9 bytes each, so fewer of them fill a quest (less to validate and encode);
      // the timeout leaves a loaded machine the time to write them all.
      const uids = Array.from({ length: 140_000 }, (_, i) => 2 ** 40 + i)
      const bigTimeout = 10_000
      const { errors, stuckWrites } = yield* againstPeer(peer.endpoint, peer, (client) => [
        Effect.gen(function*() {
          const big = yield* Effect.forEach(
            Array.from({ length: 16 }),
            () => Effect.flip(client.pullUserIntoVoiceRoom(1, uids, { timeout: bigTimeout })),
            { concurrency: "unbounded" }
          ).pipe(Effect.forkChild)
          // wait until the socket is really stuck: a write libuv cannot complete
          const stuck = yield* eventually(writesInFlight, (n) => n > 0, bigTimeout)
          expect(stuck, "the peer's window never filled").toBeGreaterThan(0)
          // calls made behind the blocked writer time out on time, one after the other
          for (let i = 0; i < 2; i++) {
            const { millis, value } = yield* timed(Effect.flip(client.getVoiceRoomMemberCount(1, { timeout: TIMEOUT })))
            checkError(value, expectations.halfOpen)
            atTimeout(millis)
          }
          for (const e of yield* Fiber.join(big)) {
            expect(e._tag).toBe("FpnnTimeoutError")
          }
          return yield* Effect.fail("done" as never)
        })
      ])
      expect(String(errors[0])).toBe("done")
      expect(stuckWrites).toBeGreaterThan(0) // still stuck when the client closes
      expect(peer.connections()).toBe(1) // timeouts do not drop the connection
    }))

  it.live("slowLoris sanity: the dribbled answer is valid — with a long enough timeout the call succeeds", () =>
    Effect.gen(function*() {
      const peer = yield* faultPeer("slowLoris")
      const { client } = yield* voiceClient(peer.endpoint)
      expect(yield* client.getVoiceRoomMemberCount(1, { timeout: 3000 })).toBe(1)
    }))

  it.live("connection refused: FpnnConnectionError (Refused), at once", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const { errors, millis } = yield* againstPeer(`127.0.0.1:${port}`, undefined, (client) =>
        Array.from({ length: 5 }, () =>
          client.getVoiceRoomList({ timeout: TIMEOUT })))
      for (const e of errors) {
        assert(e._tag === "FpnnConnectionError")
        expect(e.reason?._tag).toBe("Refused") // not a timeout: before it
      }
      expect(millis).toBeLessThan(TIMEOUT + SLACK)
    }))

  it.live("a host name that does not resolve: FpnnConnectionError (Unresolved), inside the timeout", () =>
    Effect.gen(function*() {
      const { errors, millis } = yield* againstPeer(
        "no-such-host.invalid:13315",
        undefined,
        (client) => Array.from({ length: 5 }, () => client.getVoiceRoomList({ timeout: 3000 }))
      )
      for (const e of errors) {
        assert(e._tag === "FpnnConnectionError")
        expect(e.reason?._tag).toBe("Unresolved") // not a timeout: inside it
      }
      expect(millis).toBeLessThan(3000 + SLACK)
    }))

  it.live("after a fast fault the client fails over to backoff, not to a hang: 50 sequential calls against a garbage peer all settle", () =>
    Effect.gen(function*() {
      const peer = yield* faultPeer("garbage")
      const { errors, millis } = yield* againstPeer(peer.endpoint, peer, (client) => [
        Effect.gen(function*() {
          const tags = new Set<string>()
          for (let i = 0; i < 50; i++) {
            const e = yield* Effect.flip(client.getVoiceRoomMemberCount(1, { timeout: TIMEOUT }))
            // A call that waited for the next attempt may run out of time while that attempt
            // connects (a loaded machine): a timeout, not sent, is the right outcome then.
            if (e._tag === "FpnnTimeoutError" && e.sent === false) continue
            tags.add(`${e._tag}/${(e as { reason?: { _tag: string } }).reason?._tag}`)
          }
          return yield* Effect.fail([...tags].join(",") as never)
        })
      ])
      expect(String(errors[0])).toBe("FpnnConnectionError/ProtocolViolation")
      expect(millis).toBeLessThan(50 * (TIMEOUT + SLACK)) // each call settled: no hang
      // regressive backoff: after the immediate retries, calls fail without dialling again
      expect(peer.connections()).toBeLessThan(50)
    }))
})
