/** `VoiceRoomClient.layerMock`: a client from partial implementations, for tests. */
import { type Client } from "@rtm-voice/fpnn-transport"
import {
  Effect,
  Stream
} from "effect"
import { type VoiceRoomError } from "../Errors.js"
import {
  operationNames,
  Operations
} from "../Operations.js"
import { unknownOperation } from "./unknownOperation.js"
import type {
  VoiceRoomClientService,
  VoiceRoomOperations
} from "../VoiceRoomClient.js"

/** What `VoiceRoomClient.layerMock` takes: any of the operations, and optionally the client's fields. */
export type VoiceRoomClientMock =
  & Partial<VoiceRoomOperations>
  & Partial<Pick<VoiceRoomClientService, "endpoint" | "pid" | "dialect" | "connectionState">>

/**
 * A client from partial implementations: the operations given are used as they are
 * (typed, and reached through `invoke` too); any other one dies with a message naming it,
 * so a test that calls something it did not expect fails loudly instead of hanging.
 */
const mockConnected: Client.ConnectionState = { _tag: "Connected", connectionId: 0, encrypted: false, since: 0 }

export const makeVoiceRoomClientMock = (mock: VoiceRoomClientMock): VoiceRoomClientService => {
  const given = mock as Readonly<Record<string, unknown>>
  const methods: Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>> = {}
  for (const name of operationNames) {
    const implementation = Object.hasOwn(given, name) ? given[name] : undefined
    methods[name] = typeof implementation === "function"
      ? implementation as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>
      : () =>
        Effect.die(
          new Error(
            `VoiceRoomClient.layerMock: ${name} is not implemented by this mock ` +
              `(implemented: ${operationNames.filter((n) => typeof given[n] === "function").join(", ") || "none"}); ` +
              `add it to layerMock({ ${name}: ... })`
          )
        )
  }
  return {
    ...(methods as unknown as VoiceRoomOperations),
    endpoint: mock.endpoint ?? "mock",
    pid: mock.pid ?? 0,
    dialect: mock.dialect ?? "voice",
    // A mock has no socket: it reports itself connected unless the test says otherwise.
    connectionState: mock.connectionState ?? Effect.succeed(mockConnected),
    connectionStateChanges: Stream.fromEffect(mock.connectionState ?? Effect.succeed(mockConnected)),
    connectionEvents: Stream.empty,
    invoke: (name, args, options) =>
      Object.hasOwn(methods, name)
        ? methods[name]!(
          ...args.slice(0, Operations[name].params.length),
          ...(options === undefined ? [] : [options])
        )
        : Effect.fail(unknownOperation(name))
  }
}
