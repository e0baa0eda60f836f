// The emulator's options × invalid values: a typed FpnnOptionsError naming the option
// (never a RangeError defect), before anything listens.
import { assert, describe, it } from "@effect/vitest"
import { FpnnOptionsError } from "@rtm-voice/fpnn-transport"
import { Cause, Effect, Exit, type Layer, Redacted } from "effect"
import type { SocketServer } from "effect/socket"
import { type EmulatorOptions, makeEmulator, VoiceRoomEmulator } from "../src/index.js"

const base = { pid: 11000001, secret: Redacted.make("s") }

describe("emulator options", () => {
  it.effect("host, port, pid, secret, clock, ts window and key: typed failures naming the option", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ ...base, port: 99999 }, "port"],
        [{ ...base, port: -1 }, "port"],
        [{ ...base, port: "13315" }, "port"],
        [{ ...base, host: "" }, "host"],
        [{ ...base, host: 1 }, "host"],
        [{ ...base, pid: 0 }, "pid"],
        [{ ...base, pid: "1" }, "pid"],
        [{ pid: 1 }, "secret"],
        [{ ...base, secret: 42 }, "secret"],
        [{ ...base, clock: "now" }, "clock"],
        [{ ...base, tsWindowSeconds: -1 }, "tsWindowSeconds"],
        [{ ...base, tsWindowSeconds: NaN }, "tsWindowSeconds"],
        [{ ...base, encryption: { privateKey: "" } }, "encryption.privateKey"],
        [{ ...base, encryption: { privateKey: "not a key" } }, "encryption.privateKey"],
        [
          Object.defineProperty({ ...base }, "port", {
            get: () => {
              throw new Error("no")
            }
          }),
          "port"
        ]
      ]
      for (const [options, option] of cases) {
        const exit = yield* Effect.exit(Effect.scoped(makeEmulator(options as EmulatorOptions)))
        assert.isTrue(Exit.isFailure(exit) && !Cause.hasDies(exit.cause), `${option}: ${String(exit)}`)
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        assert.isTrue(error?._tag === "Some" && error.value instanceof FpnnOptionsError, option)
        assert.strictEqual((error as { value: FpnnOptionsError }).value.option, option)
      }
    }))

  it("the Layer's type names FpnnOptionsError", () => {
    const layer: Layer.Layer<VoiceRoomEmulator, SocketServer.SocketServerError | FpnnOptionsError> = VoiceRoomEmulator
      .layer(base)
    // @ts-expect-error bad options are part of the error channel
    // @effect-diagnostics-next-line missingEffectError:off
    const socketOnly: Layer.Layer<VoiceRoomEmulator, SocketServer.SocketServerError> = VoiceRoomEmulator.layer(base)
    assert.isDefined([layer, socketOnly])
  })
})
