/** The emulator's options, checked before its server is built; a fault plan as an Effect. */
import { Options } from "@rtm-voice/fpnn-transport"
import { Effect, Redacted } from "effect"
import { decodeFaultPlan, type FaultPlan, FaultPlanError } from "../Faults.js"

export const toPlan = (input: unknown): Effect.Effect<FaultPlan, FaultPlanError> =>
  Effect.suspend(() => Effect.fromResult(decodeFaultPlan(input)))

/**
 * The emulator's own options, checked before the server is built (which checks host,
 * port and the key): pid, secret, clock and the ts window.
 */
export const checkOptions = (options: unknown) =>
  Options.check("options", () => {
    const o = Options.record(options, "options")
    const pid = Options.integer(Options.field(o, "pid", "pid"), "pid", 1, 0x7fffffff)
    const secret = Options.field(o, "secret", "secret")
    if (!Redacted.isRedacted(secret) && typeof secret !== "string") {
      Options.rejectOption("secret", secret === undefined ? "Missing" : "WrongType", "secret must be a Redacted string")
    }
    const clock = Options.field(o, "clock", "clock")
    if (clock !== undefined && typeof clock !== "function") {
      Options.rejectOption(
        "clock",
        "WrongType",
        `clock must be a function returning milliseconds, got ${Options.show(clock)}`
      )
    }
    const window = Options.field(o, "tsWindowSeconds", "tsWindowSeconds")
    const tsWindowSeconds = window === undefined ? 300 : Options.integer(window, "tsWindowSeconds", 0, 2 ** 31 - 1)
    return {
      pid,
      secret: typeof secret === "string" ? Redacted.make(secret) : secret as Redacted.Redacted<string>,
      clock: clock as (() => number) | undefined,
      tsWindowSeconds,
      host: Options.field(o, "host", "host"),
      port: Options.field(o, "port", "port"),
      encryption: Options.field(o, "encryption", "encryption"),
      // Checked by their schemas (FaultPlanError / EmulatorSeedError), below.
      faults: Options.field(o, "faults", "faults"),
      seed: Options.field(o, "seed", "seed")
    }
  })
