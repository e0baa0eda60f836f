/** The typed failure of `invoke` for a name that is not an operation (the client's and the mock's). */
import { VoiceRoomValidationError } from "../Errors.js"
import { operationNames } from "../Operations.js"

export const unknownOperation = (name: unknown): VoiceRoomValidationError =>
  new VoiceRoomValidationError({
    operation: String(name),
    parameter: "operation",
    message: `unknown operation ${JSON.stringify(name)}; known: ${operationNames.join(", ")}`
  })
