/**
 * What the CLI prints: `--json` objects with ids as exact integers (a bigint is written
 * as its digits, never rounded or quoted), or readable lines for a person.
 */
import { exactJson } from "@rtm-voice/fpnn-transport"
import type { OperationName, VoiceRoomMembers } from "@rtm-voice/voice-room"

export { exactJson }

/** The `--json` object of an operation's result. */
export const jsonResult = (operation: OperationName, result: unknown): Record<string, unknown> => {
  switch (operation) {
    case "getVoiceRoomList":
      return { rids: result }
    case "getVoiceRoomMembers": {
      const m = result as VoiceRoomMembers
      return m.owner === undefined ? { uids: m.uids, managers: m.managers } : { uids: m.uids, managers: m.managers, owner: m.owner }
    }
    case "getVoiceRoomMemberCount":
      return { count: result }
    default:
      return { ok: true }
  }
}

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

/** One line naming the error's tag, its code when it has one, and its message. */
export const describeError = (error: unknown): string => {
  if (error !== null && typeof error === "object" && "_tag" in error) {
    const e = error as { _tag: string; code?: unknown; reason?: unknown; message?: unknown; cause?: unknown }
    const code = typeof e.code === "number" ? ` code ${e.code}` : ""
    // The SDK's errors carry a tagged reason; effect's own (SocketServerError...) are described by their message.
    const tag = /^(Fpnn|Rtm|VoiceRoom)/.test(e._tag) ? (e.reason as { _tag?: unknown } | null | undefined)?._tag : undefined
    const reason = typeof tag === "string" ? ` (${tag})` : ""
    // effect's platform errors (e.g. SocketServerError when the port is taken) carry a
    // one-word message; the system error that explains it is the cause.
    const message = String(e.message ?? "")
    const cause = !message.includes(" ") && e.cause instanceof Error && e.cause.message !== "" ? `: ${e.cause.message}` : ""
    return `error: ${e._tag}${reason}${code}: ${message}${cause}`
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`
}
