/** The operation methods of a client (the real one's and the mock's), one per entry of the table. */
import type { Effect } from "effect"
import type { VoiceRoomError } from "../Errors.js"
import { type AnyOperation, type OperationName, operationNames, Operations } from "../Operations.js"
import type { VoiceRoomOperations } from "../VoiceRoomClient.js"

/** An operation method with its arguments and result untyped: what `invoke` and a loop over the table see. */
export type UntypedMethod = (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>

/** The methods `method` makes, one per operation, keyed by its name. */
export const untypedMethods = (
  method: (name: OperationName, operation: AnyOperation) => UntypedMethod
): Readonly<Record<string, UntypedMethod>> => {
  const methods: Record<string, UntypedMethod> = {}
  for (const name of operationNames) methods[name] = method(name, Operations[name])
  return methods
}

/** The same methods with each operation's own signature. */
export const typedMethods = (methods: Readonly<Record<string, UntypedMethod>>): VoiceRoomOperations =>
  // A record filled by a loop over the names cannot carry each key's own signature: every
  // method takes its operation's arguments, validated by the call path against the table.
  methods as unknown as VoiceRoomOperations
