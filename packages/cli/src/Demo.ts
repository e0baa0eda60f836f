/**
 * `rtm-voice demo`: starts an embedded emulator on a free port and runs every operation
 * through the SDK, saying what each does and what came back. The first thing a
 * newcomer runs; it exits 0 when every step behaved as documented.
 */
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { makeVoiceRoomClient, type OperationName, Operations, type VoiceRoomClientService } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Console, Effect, Redacted, References } from "effect"
import { describeError, humanResult } from "./Output.js"

const PID = 11000001
const ROOM = 42n
const BIG_ROOM = 2n ** 53n + 1n // beyond Number.MAX_SAFE_INTEGER: must survive exactly
const BIG_UID = 2n ** 63n - 1n

interface Step {
  readonly operation: OperationName
  readonly args: ReadonlyArray<unknown>
  readonly why: string
  /** The step shows an error on purpose: it must fail with this tag. */
  readonly expectError?: string
  readonly rtc?: boolean
}

const steps: ReadonlyArray<Step> = [
  {
    operation: "pullUserIntoVoiceRoom",
    args: [ROOM, [1001n, 1002n]],
    why: "room 42 does not exist yet: pulling users in creates it"
  },
  {
    operation: "pullUserIntoVoiceRoom",
    args: [BIG_ROOM, [BIG_UID]],
    why: "ids are int64: a room id of 2^53+1 and a uid of 2^63-1 travel exactly"
  },
  { operation: "getVoiceRoomList", args: [], why: "the project's open rooms" },
  { operation: "getVoiceRoomMembers", args: [BIG_ROOM], why: "the big ids come back exact, as bigint" },
  { operation: "getVoiceRoomMembers", args: [ROOM], why: "members and managers of room 42" },
  { operation: "getVoiceRoomMemberCount", args: [ROOM], why: "how many users are in room 42" },
  {
    operation: "inviteUserIntoVoiceRoom",
    args: [ROOM, 1001n, [1003n]],
    why: "a member (1001) invites 1003; membership is unchanged until 1003 joins"
  },
  {
    operation: "inviteUserIntoVoiceRoom",
    args: [ROOM, 5000n, [1004n]],
    why: "5000 is not in the room, so the gateway refuses: a typed RtmError you can catchTag",
    expectError: "RtmError"
  },
  {
    operation: "setVoiceRoomMicStatus",
    args: [ROOM, false],
    why: "users entering room 42 start with their microphone off"
  },
  { operation: "kickoutFromVoiceRoom", args: [ROOM, 1002n, 1001n], why: "remove 1002, on behalf of 1001" },
  { operation: "getVoiceRoomMemberCount", args: [ROOM], why: "one member left" },
  {
    operation: "adminCommand",
    args: [ROOM, [1001n], "grantAdministrator"],
    why: "RTC-era extra: make 1001 an administrator",
    rtc: true
  },
  {
    operation: "getVoiceRoomMembers",
    args: [ROOM],
    why: "the rtc dialect (getRTCRoomMembers) also reports the owner",
    rtc: true
  },
  {
    operation: "getVoiceRoomMemberCount",
    args: [1.5],
    why: "bad input is rejected with a typed error before anything is sent",
    expectError: "VoiceRoomValidationError"
  },
  { operation: "closeVoiceRoom", args: [ROOM], why: "dissolve room 42" },
  { operation: "getVoiceRoomList", args: [], why: "only the big room is left" }
]

const show = (value: unknown): string =>
  typeof value === "bigint"
    ? `${value}n`
    : Array.isArray(value)
    ? `[${value.map(show).join(", ")}]`
    : JSON.stringify(value)

const runStep = (clients: { voice: VoiceRoomClientService; rtc: VoiceRoomClientService }, step: Step, n: number) =>
  Effect.gen(function*() {
    const client = step.rtc === true ? clients.rtc : clients.voice
    const wire = Operations[step.operation].wire[client.dialect]
    yield* Console.log(`\n${n}. ${step.operation}(${step.args.map(show).join(", ")})  [wire: ${wire}]`)
    yield* Console.log(`   ${step.why}`)
    const exit = yield* Effect.result(client.invoke(step.operation, step.args))
    if (exit._tag === "Success") {
      if (step.expectError !== undefined) {
        return yield* Effect.fail(`step ${n} was expected to fail with ${step.expectError}`)
      }
      for (const line of humanResult(step.operation, step.args, exit.success).split("\n")) {
        yield* Console.log(`   → ${line}`)
      }
      return
    }
    const error = exit.failure as { _tag: string }
    if (step.expectError !== error._tag) return yield* Effect.fail(`step ${n} failed: ${describeError(error)}`)
    yield* Console.log(`   → ${describeError(error)}`)
  })

export const runDemo = Effect.gen(function*() {
  const secret = Redacted.make(`demo-${crypto.randomUUID()}`)
  const emulator = yield* makeEmulator({ pid: PID, secret })
  yield* Console.log(`Embedded RTM voice gateway emulator listening on ${emulator.address} (project ${PID}).`)
  yield* Console.log("The SDK talks to it over real FPNN on TCP, signing every request like the RTM gateway expects.")
  const transport = yield* FpnnClient.make({ endpoint: emulator.address, questTimeout: "5 seconds" })
  const clients = {
    voice: yield* makeVoiceRoomClient(transport, { pid: PID, secret }),
    rtc: yield* makeVoiceRoomClient(transport, { pid: PID, secret, dialect: "rtc" })
  }
  let n = 0
  for (const step of steps) yield* runStep(clients, step, ++n)
  const covered = new Set(steps.map((s) => s.operation))
  const missing = (Object.keys(Operations) as Array<OperationName>).filter((o) => !covered.has(o))
  if (missing.length > 0) return yield* Effect.fail(`demo does not cover ${missing.join(", ")}`)
  yield* Console.log(`\nAll ${covered.size} operations ran against the emulator (${n} steps). Done.`)
}).pipe(
  Effect.scoped,
  // The SDK's connection logs are for services; the demo narrates on its own.
  Effect.provideService(References.MinimumLogLevel, "None")
)
