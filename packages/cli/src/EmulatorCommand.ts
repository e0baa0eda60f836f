/** `rtm-voice emulator`: the RTM voice gateway emulator as a foreground process. */
import { decodeFaultPlan, type Fault, FaultPlanError, parseFault, runEmulator } from "@rtm-voice/voice-room-emulator"
import { Config, Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { readFileSync } from "node:fs"
import { VoiceRoomValidationError } from "@rtm-voice/voice-room"

export const emulatorCommand = Command.make(
  "emulator",
  {
    host: Flag.String("host").pipe(Flag.withDefault("127.0.0.1"), Flag.withDescription("interface to bind (default 127.0.0.1: this machine only)")),
    port: Flag.Int("port").pipe(Flag.withDefault(0), Flag.withDescription("port to bind; 0 picks a free port (printed)")),
    pid: Flag.Int("pid").pipe(Flag.withFallbackConfig(Config.Int("RTM_PID")), Flag.withDescription("project id quests must carry (env RTM_PID)")),
    secret: Flag.Redacted("secret").pipe(
      Flag.withFallbackConfig(Config.Redacted("RTM_SECRET")),
      Flag.withDescription("project secret quests must be signed with (env RTM_SECRET)")
    ),
    key: Flag.String("key").pipe(
      Flag.optional,
      Flag.withDescription("accept encrypted connections with this private key file (PEM, DER or raw; see `rtm-voice keygen`)")
    ),
    faults: Flag.String("faults").pipe(
      Flag.optional,
      Flag.withDescription("inject the faults of this JSON fault plan file ({ seed?, faults: [...] }; see the emulator README)")
    ),
    fault: Flag.String("fault").pipe(
      Flag.atLeast(0),
      Flag.withDescription(
        "inject one fault, repeatable, after those of --faults: [method[,method]:]kind[=arg][@times][%probability], " +
          "kinds error=CODE, latency=MS or MIN-MAX, blackHole, closeBeforeApply, closeAfterApply, rateLimit=N"
      )
    )
  },
  ({ fault, faults, host, key, pid, port, secret }) =>
    Effect.gen(function*() {
      let privateKey: Uint8Array | undefined
      if (Option.isSome(key)) {
        const path = key.value
        privateKey = yield* Effect.try({
          try: () => readFileSync(path),
          catch: (e) =>
            new VoiceRoomValidationError({ operation: "emulator", parameter: "key", message: `cannot read the key file ${path}: ${(e as Error).message}` })
        })
      }
      const invalid = (parameter: string, message: string) =>
        new VoiceRoomValidationError({ operation: "emulator", parameter, message })
      let seed: number | undefined
      const plan: Array<Fault> = []
      if (Option.isSome(faults)) {
        const path = faults.value
        const parsed = yield* Effect.try({
          try: () => JSON.parse(readFileSync(path, "utf8")) as unknown,
          catch: (e) => invalid("faults", `cannot read the fault plan ${path}: ${(e as Error).message}`)
        })
        const decoded = decodeFaultPlan(parsed)
        if (decoded instanceof FaultPlanError) return yield* invalid("faults", `${path}: ${decoded.message}`)
        seed = decoded.seed
        plan.push(...decoded.faults)
      }
      for (const text of fault) {
        const one = parseFault(text)
        if (one instanceof FaultPlanError) return yield* invalid("fault", one.message)
        plan.push(one)
      }
      return yield* runEmulator(
        {
          host,
          port,
          pid,
          secret,
          ...(privateKey === undefined ? {} : { encryption: { privateKey } }),
          ...(plan.length === 0 ? {} : { faults: { ...(seed === undefined ? {} : { seed }), faults: plan } })
        },
        (emulator) => Console.log(`listening on ${emulator.address}`)
      )
    })
).pipe(
  Command.withDescription(
    "Run the RTM voice gateway emulator (real FPNN on a real TCP port, both wire dialects, signature checks) " +
      "until SIGINT/SIGTERM. Prints `listening on HOST:PORT` once it accepts connections."
  )
)
