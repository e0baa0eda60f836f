/** `rtm-voice emulator`: the RTM voice gateway emulator as a foreground process. */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"

export const emulatorCommand = Command.make(
  "emulator",
  {
    host: Flag.String("host").pipe(
      Flag.withDefault("127.0.0.1"),
      Flag.withDescription("interface to bind (default 127.0.0.1: this machine only)")
    ),
    port: Flag.String("port").pipe(
      Flag.withMetavar("port"),
      Flag.withDefault("0"),
      Flag.withDescription("port to bind, 0 to 65535; 0 picks a free port (printed)")
    ),
    pid: Flag.String("pid").pipe(
      Flag.withMetavar("integer"),
      Flag.optional,
      Flag.withDescription("project id quests must carry (env RTM_PID)")
    ),
    secret: Flag.Redacted("secret").pipe(
      Flag.optional,
      Flag.withDescription("project secret quests must be signed with (env RTM_SECRET)")
    ),
    key: Flag.String("key").pipe(
      Flag.withMetavar("file"),
      Flag.optional,
      Flag.withDescription(
        "accept encrypted connections with this private key file (PEM, DER or raw; see `rtm-voice keygen`)"
      )
    ),
    faults: Flag.String("faults").pipe(
      Flag.optional,
      Flag.withDescription(
        "inject the faults of this JSON fault plan file ({ seed?, faults: [...] }; see the emulator README)"
      )
    ),
    fault: Flag.String("fault").pipe(
      Flag.atLeast(0),
      Flag.withDescription(
        "inject one fault, repeatable, after those of --faults: [method[,method]:]kind[=arg][@times][%probability], " +
          "kinds error=CODE, latency=MS or MIN-MAX, blackHole, closeBeforeApply, closeAfterApply, rateLimit=N"
      )
    )
  },
  (input) => Effect.flatMap(Effect.promise(() => import("./EmulatorRun.js")), (run) => run.runEmulatorCommand(input))
).pipe(
  Command.withDescription(
    "Run the RTM voice gateway emulator (real FPNN on a real TCP port, both wire dialects, signature checks) " +
      "until SIGINT/SIGTERM. Prints `listening on HOST:PORT` once it accepts connections."
  )
)
