// Compile-time checks of the types derived from the operation table (tsc only; not a
// vitest file): each `@ts-expect-error` fails the typecheck if the line compiles.
import { Effect, Redacted, Schedule } from "effect"
import { VoiceRoomClient } from "../src/index.js"

export const t = Effect.gen(function*() {
  const c = yield* VoiceRoomClient
  const n: number = yield* c.getVoiceRoomMemberCount(1n, { timeout: "1 second" })
  const l: ReadonlyArray<bigint> = yield* c.getVoiceRoomList()
  const m = yield* c.getVoiceRoomMembers(1)
  const o: bigint | undefined = m.owner
  yield* c.adminCommand(1, [1n], "forbidAudio")
  // @ts-expect-error unknown command
  yield* c.adminCommand(1, [1n], "nope")
  // @ts-expect-error status must be a boolean
  yield* c.setVoiceRoomMicStatus(1, 1)
  // @ts-expect-error uids missing
  yield* c.pullUserIntoVoiceRoom(1)
  // @ts-expect-error ids are numbers or bigints
  yield* c.closeVoiceRoom("42")
  return [n, l, o]
})

// The README's retry schedule fits `readRetry`.
export const readmeLayer = VoiceRoomClient.layer({
  endpoint: "rtm-gated.example.com:13315",
  pid: 11000001,
  secret: Redacted.make("x"),
  timeout: "5 seconds",
  readRetry: Schedule.exponential("100 millis").pipe(Schedule.upTo({ times: 3 }))
})
