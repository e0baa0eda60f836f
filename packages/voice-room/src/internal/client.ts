/** `makeVoiceRoomClient`: the client's methods, `invoke` and the startup check, on an FPNN client. */
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { Effect, Result } from "effect"
import { type VoiceRoomError, type VoiceRoomOptionsError, VoiceRoomValidationError } from "../Errors.js"
import { Operations } from "../Operations.js"
import type { VoiceRoomClientOptions, VoiceRoomClientService } from "../VoiceRoomClient.js"
import { typedMethods, untypedMethods } from "./methods.js"
import { unknownOperation } from "./unknownOperation.js"

import { makeInvoke, RPC_SERVICE } from "./call.js"
import { resolveOptions } from "./options.js"

/** The room id the startup check reads (a missing room answers count 0). */
const STARTUP_CHECK_ROOM = 1

/** Builds the client on an existing FPNN client. */
export const makeVoiceRoomClient = (
  transport: FpnnClient["Service"],
  options: VoiceRoomClientOptions
): Effect.Effect<VoiceRoomClientService, VoiceRoomOptionsError | VoiceRoomError> =>
  Effect.suspend((): Effect.Effect<VoiceRoomClientService, VoiceRoomOptionsError | VoiceRoomError> => {
    const resolved = resolveOptions(options)
    if (Result.isFailure(resolved)) return Effect.fail(resolved.failure)
    const { dialect, pid } = resolved.success
    const invoke = makeInvoke(transport, resolved.success)

    const methods = untypedMethods((_, operation) => {
      const arity = operation.params.length
      // buildRequest reads only the first `arity` arguments: no slice needed.
      return (...args) => invoke(operation, args, args[arity])
    })

    const service: VoiceRoomClientService = {
      ...typedMethods(methods),
      endpoint: transport.endpoint,
      pid,
      dialect,
      invoke: (name, args, callOptions) => {
        // Own keys only (RELIABILITY.md, bad input): `Operations["toString"]`, "constructor"
        // or "__proto__" are inherited from Object; taken for operations, they would reach
        // `operation.wire` and throw a TypeError out of invoke() instead of a typed error.
        const operation = Object.hasOwn(Operations, name) ? Operations[name] : undefined
        if (operation === undefined) {
          return Effect.fail(unknownOperation(name))
        }
        // Untyped callers: `args` null/undefined made buildRequest throw (a defect, not a typed error).
        if (!Array.isArray(args)) {
          return Effect.fail(
            new VoiceRoomValidationError({
              operation: operation.name,
              parameter: "args",
              message: `${operation.name}: the arguments must be an array, got ${args === null ? "null" : typeof args}`
            })
          )
        }
        return invoke(operation, args, callOptions)
      },
      connectionState: transport.state,
      connectionStateChanges: transport.stateChanges,
      connectionEvents: transport.events
    }
    if (resolved.success.connect !== "eager") return Effect.succeed(service)
    // The startup check: connect (its own span and logs), then one signed read.
    return transport.connect.pipe(
      Effect.andThen(service.getVoiceRoomMemberCount(STARTUP_CHECK_ROOM)),
      Effect.tap(() => Effect.logDebug("voice-room startup check passed")),
      Effect.tapError((e) => Effect.logError(`voice-room startup check failed: ${e.message}`)),
      Effect.annotateLogs({ endpoint: transport.endpoint, pid }),
      Effect.withSpan("VoiceRoom.startupCheck", {
        kind: "client",
        attributes: { "rpc.system": "fpnn", "rpc.service": RPC_SERVICE, "rtm.pid": pid }
      }, { captureStackTrace: false }),
      Effect.as(service)
    )
  })
