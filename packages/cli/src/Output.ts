/**
 * What the CLI prints for a result: `--json` objects with ids as exact integers (a bigint
 * is written as its digits, never rounded or quoted), or readable lines for a person.
 * (Errors: ErrorOutput.ts.)
 */
import { Codec } from "@rtm-voice/fpnn-transport"
import type { OperationName, Operations, ResultOf, VoiceRoomMembers } from "@rtm-voice/voice-room"

export const exactJson = Codec.exactJson
export { describeError, errorJson, reasonOf } from "./ErrorOutput.js"

const ok = (): Record<string, unknown> => ({ ok: true })

/**
 * The `--json` object of each operation's result. A `Record` over the operation names:
 * a new operation is a compile error until its output is chosen here.
 */
const jsonResults: { readonly [K in OperationName]: (result: ResultOf<Operations[K]>) => Record<string, unknown> } = {
  getVoiceRoomList: (rids) => ({ rids }),
  getVoiceRoomMembers: (m) =>
    m.owner === undefined
      ? { uids: m.uids, managers: m.managers }
      : { uids: m.uids, managers: m.managers, owner: m.owner },
  getVoiceRoomMemberCount: (count) => ({ count }),
  pullUserIntoVoiceRoom: ok,
  inviteUserIntoVoiceRoom: ok,
  kickoutFromVoiceRoom: ok,
  closeVoiceRoom: ok,
  setVoiceRoomMicStatus: ok,
  adminCommand: ok
}

/** The `--json` object of an operation's result. */
export const jsonResult = (operation: OperationName, result: unknown): Record<string, unknown> =>
  (jsonResults[operation] as (result: unknown) => Record<string, unknown>)(result)

const list = (ids: ReadonlyArray<bigint>): string => (ids.length === 0 ? "(none)" : ids.join(", "))

/** A readable line for a person. */
export const humanResult = (operation: OperationName, args: ReadonlyArray<unknown>, result: unknown): string => {
  const rid = args[0]
  switch (operation) {
    case "getVoiceRoomList": {
      const rids = result as ReadonlyArray<bigint>
      return `${rids.length} open room${rids.length === 1 ? "" : "s"}: ${list(rids)}`
    }
    case "getVoiceRoomMembers": {
      const m = result as VoiceRoomMembers
      return [
        `room ${rid}: ${m.uids.length} member${m.uids.length === 1 ? "" : "s"}: ${list(m.uids)}`,
        `managers: ${list(m.managers)}`,
        ...(m.owner === undefined ? [] : [`owner: ${m.owner}`])
      ].join("\n")
    }
    case "getVoiceRoomMemberCount":
      return `room ${rid}: ${result} member${result === 1 ? "" : "s"}`
    case "pullUserIntoVoiceRoom":
      return `pulled ${(args[1] as ReadonlyArray<bigint>).join(", ")} into room ${rid}`
    case "inviteUserIntoVoiceRoom":
      return `${args[1]} invited ${(args[2] as ReadonlyArray<bigint>).join(", ")} into room ${rid}`
    case "kickoutFromVoiceRoom":
      return `kicked ${args[1]} out of room ${rid} (on behalf of ${args[2]})`
    case "closeVoiceRoom":
      return `closed room ${rid}`
    case "setVoiceRoomMicStatus":
      return `room ${rid}: microphones default to ${args[1] ? "on" : "off"}`
    case "adminCommand":
      return `room ${rid}: ${args[2]} applied to ${(args[1] as ReadonlyArray<bigint>).join(", ")}`
  }
}
