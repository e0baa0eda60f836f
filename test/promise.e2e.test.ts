// The Promise facade against the real emulator: same methods, same tagged errors, close.
import { RtmError, VoiceRoomClient, VoiceRoomOptionsError, VoiceRoomValidationError } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { createVoiceRoomClient, fromLayer, VoiceRoomClientClosedError } from "@rtm-voice/voice-room/promise"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PID, SECRET, SECRET_TEXT } from "./support.js"

let scope: Scope.Closeable
let endpoint: string

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  const emulator = await Effect.runPromise(Scope.provide(makeEmulator({ pid: PID, secret: SECRET }), scope))
  endpoint = emulator.address
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

/** The rejection of a promise that must reject. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error("expected a rejection")
}

describe("createVoiceRoomClient (Promise facade)", () => {
  it("runs the operations as async functions, ids exact beyond 2^53", async () => {
    await using rooms = await createVoiceRoomClient({ endpoint, pid: PID, secret: SECRET_TEXT })
    const room = 9007199254740993n
    await rooms.pullUserIntoVoiceRoom(room, [1001n, 9223372036854775807n])
    expect(await rooms.getVoiceRoomMemberCount(room)).toBe(2)
    const members = await rooms.getVoiceRoomMembers(room, { timeout: "2 seconds" })
    expect(members.uids).toEqual([1001n, 9223372036854775807n])
    expect(rooms.endpoint).toBe(endpoint)
  })

  it("rejects with the SDK's tagged errors: e._tag, e.reason, e.code in a catch", async () => {
    await using rooms = await createVoiceRoomClient({ endpoint, pid: PID, secret: SECRET })
    const e = await rejectionOf(rooms.kickoutFromVoiceRoom(77n, 1n, 2n))
    expect(e).toBeInstanceOf(RtmError)
    const rtm = e as RtmError
    expect(rtm._tag).toBe("RtmError")
    expect(rtm.code).toBe(200040)
    expect(rtm.reason._tag).toBe("NotInRoom")
    const invalid = await rejectionOf(rooms.getVoiceRoomMembers(2 ** 60))
    expect(invalid).toBeInstanceOf(VoiceRoomValidationError)
  })

  it("close() disposes the connection; later calls reject without sending; close is idempotent", async () => {
    const rooms = await createVoiceRoomClient({ endpoint, pid: PID, secret: SECRET })
    await rooms.getVoiceRoomList()
    await rooms.close()
    await rooms.close()
    const e = await rejectionOf(rooms.getVoiceRoomList())
    expect(e).toBeInstanceOf(VoiceRoomClientClosedError)
    expect((e as VoiceRoomClientClosedError).sent).toBe(false)
  })

  it("a refused connection rejects with FpnnConnectionError", async () => {
    await using rooms = await createVoiceRoomClient({
      endpoint: "127.0.0.1:1",
      pid: PID,
      secret: SECRET,
      connectTimeout: "2 seconds"
    })
    const e = (await rejectionOf(rooms.getVoiceRoomList())) as { _tag: string }
    expect(e._tag).toBe("FpnnConnectionError")
  })

  it("bad options reject at creation with a typed error", async () => {
    const e = await rejectionOf(createVoiceRoomClient({ endpoint, pid: -1, secret: SECRET }))
    // the Layer's option error (VoiceRoomOptionsError; VoiceRoomValidationError where the
    // options check has not moved to it), naming the option
    expect(e instanceof VoiceRoomOptionsError || e instanceof VoiceRoomValidationError).toBe(true)
    const named = e as { readonly option?: string; readonly parameter?: string }
    expect(named.option ?? named.parameter).toBe("pid")
  })

  it("fromLayer wraps a Layer of your own", async () => {
    const layer = VoiceRoomClient.layer({ endpoint, pid: PID, secret: Redacted.make(SECRET_TEXT) })
    await using rooms = await fromLayer(layer)
    expect(await rooms.getVoiceRoomMemberCount(123456n)).toBe(0)
  })
})
