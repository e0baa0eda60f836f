/** The one way an argument is rejected: the message names the operation, then what is wrong. */
import { VoiceRoomValidationError } from "../Errors.js"

export const invalidArgument = (operation: string, parameter: string, message: string): VoiceRoomValidationError =>
  new VoiceRoomValidationError({ operation, parameter, message: `${operation}: ${message}` })
