import { assert, describe, it } from "@effect/vitest"
import { FpnnErrorAnswer } from "@rtm-voice/fpnn-transport"
import { Rooms, semantics as s } from "../src/Rooms.js"

const code = (out: unknown): number => {
  assert.instanceOf(out, FpnnErrorAnswer)
  return (out as FpnnErrorAnswer).code
}

describe("room semantics", () => {
  it("pull creates the room, is idempotent, keeps join order; owner = first pulled", () => {
    const rooms = new Rooms()
    s.pullUserIntoVoiceRoom(rooms, 1n, [10n, 11n])
    s.pullUserIntoVoiceRoom(rooms, 1n, [11n, 12n])
    assert.deepStrictEqual(s.getVoiceRoomMembers(rooms, 1n), { uids: [10n, 11n, 12n], managers: [], owner: 10n })
    assert.strictEqual(s.getVoiceRoomMemberCount(rooms, 1n), 3)
    assert.deepStrictEqual(s.getVoiceRoomList(rooms), [1n])
    assert.strictEqual(code(s.pullUserIntoVoiceRoom(rooms, 2n, [])), 200033)
    assert.deepStrictEqual(s.getVoiceRoomList(rooms), [1n], "a rejected pull creates nothing")
  })

  it("invite needs a member as fromUid and does not change membership", () => {
    const rooms = new Rooms()
    assert.strictEqual(code(s.inviteUserIntoVoiceRoom(rooms, 1n, 10n, [20n])), 200040, "no room")
    s.pullUserIntoVoiceRoom(rooms, 1n, [10n])
    assert.strictEqual(code(s.inviteUserIntoVoiceRoom(rooms, 1n, 99n, [20n])), 200040, "not a member")
    assert.isUndefined(s.inviteUserIntoVoiceRoom(rooms, 1n, 10n, [20n, 21n]))
    const [room] = rooms.snapshot()
    assert.deepStrictEqual(room!.members, [10n])
    assert.deepStrictEqual(room!.invitations, [{ fromUid: 10n, uids: [20n, 21n] }])
    assert.strictEqual(code(s.inviteUserIntoVoiceRoom(rooms, 1n, 10n, [])), 200033)
  })

  it("kick removes a member (and its manager rights); the room stays open; non-member → 200040", () => {
    const rooms = new Rooms()
    s.pullUserIntoVoiceRoom(rooms, 1n, [10n, 11n])
    s.adminCommand(rooms, 1n, [11n], "grantAdministrator")
    assert.isUndefined(s.kickoutFromVoiceRoom(rooms, 1n, 11n, 10n))
    assert.deepStrictEqual(s.getVoiceRoomMembers(rooms, 1n), { uids: [10n], managers: [], owner: 10n })
    assert.strictEqual(code(s.kickoutFromVoiceRoom(rooms, 1n, 11n, 10n)), 200040)
    assert.strictEqual(code(s.kickoutFromVoiceRoom(rooms, 9n, 11n, 10n)), 200040)
    s.kickoutFromVoiceRoom(rooms, 1n, 10n, 10n)
    assert.deepStrictEqual(s.getVoiceRoomList(rooms), [1n], "empty room kept until closed")
  })

  it("close removes the room and its mic status; closing a missing room is OK", () => {
    const rooms = new Rooms()
    s.pullUserIntoVoiceRoom(rooms, 1n, [10n])
    s.setVoiceRoomMicStatus(rooms, 1n, false)
    assert.isUndefined(s.closeVoiceRoom(rooms, 1n))
    assert.isUndefined(s.closeVoiceRoom(rooms, 1n))
    assert.deepStrictEqual(s.getVoiceRoomList(rooms), [])
    assert.strictEqual(rooms.micStatus.size, 0)
    assert.deepStrictEqual(s.getVoiceRoomMembers(rooms, 1n), { uids: [], managers: [], owner: 0n })
    assert.strictEqual(s.getVoiceRoomMemberCount(rooms, 1n), 0)
  })

  it("mic status is stored per room, also before the room exists", () => {
    const rooms = new Rooms()
    s.setVoiceRoomMicStatus(rooms, 5n, true)
    s.pullUserIntoVoiceRoom(rooms, 5n, [1n])
    assert.strictEqual(rooms.snapshot()[0]!.micStatus, true)
    s.setVoiceRoomMicStatus(rooms, 5n, false)
    assert.strictEqual(rooms.snapshot()[0]!.micStatus, false)
  })

  it("adminCommand: 0/1 grant/revoke managers, 2-7 recorded; members only", () => {
    const rooms = new Rooms()
    assert.strictEqual(code(s.adminCommand(rooms, 1n, [10n], "forbidAudio")), 200040, "no room")
    s.pullUserIntoVoiceRoom(rooms, 1n, [10n, 11n])
    s.adminCommand(rooms, 1n, [10n, 11n], "grantAdministrator")
    s.adminCommand(rooms, 1n, [10n], "revokeAdministrator")
    s.adminCommand(rooms, 1n, [11n], "closeCameras")
    assert.deepStrictEqual((s.getVoiceRoomMembers(rooms, 1n) as { managers: unknown }).managers, [11n])
    assert.deepStrictEqual(rooms.snapshot()[0]!.adminCommands.map((c) => c.command), [
      "grantAdministrator",
      "revokeAdministrator",
      "closeCameras"
    ])
    assert.strictEqual(code(s.adminCommand(rooms, 1n, [10n, 99n], "allowVideo")), 200040)
    assert.strictEqual(code(s.adminCommand(rooms, 1n, [], "allowVideo")), 200033)
  })
})
