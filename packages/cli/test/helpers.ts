// The CLI's own test data: the operation commands the issue names and the usage each shows.
// The process runner, the emulator process and the build step are in @rtm-voice/test-support.

/** The operation commands the issue names, and the usage each must show. */
export const COMMANDS = ["rooms", "members", "count", "pull", "invite", "kick", "close", "mic", "admin"] as const
export const USAGES: Record<(typeof COMMANDS)[number], string> = {
  rooms: "rooms",
  members: "members <roomId>",
  count: "count <roomId>",
  pull: "pull <roomId> <uids...>",
  invite: "invite --from <fromUid> <roomId> <uids...>",
  kick: "kick --from <fromUid> <roomId> <uid>",
  close: "close <roomId>",
  mic: "mic <roomId> on|off",
  admin: "admin <roomId> <command> <uids...>"
}
