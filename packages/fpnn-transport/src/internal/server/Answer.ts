/** The answer to a twoway quest from its handler's exit. */
import { Cause, Exit, Option } from "effect"
import { FpnnErrorAnswer } from "../../Errors.js"
import { FpnnErrorCode } from "../../FpnnCodes.js"
import type { Quest } from "../../Frame.js"
import type { Payload } from "../codec/Msgpack.js"
import type { FpnnConnection } from "../connection/Connection.js"

export const serverStopping = { code: FpnnErrorCode.ServerStopping, ex: "Server is stopping" }

/**
 * A success answers its payload; `FpnnErrorAnswer` answers its code; an interruption
 * (shutdown) answers 20014; any other failure answers 20001 without its details.
 */
export const answerExit = (conn: FpnnConnection, quest: Quest, exit: Exit.Exit<Payload | void, unknown>): void => {
  if (Exit.isSuccess(exit)) return conn.answer(quest, exit.value ?? {})
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof FpnnErrorAnswer) {
    const { code, ex, raiser } = failure.value
    return conn.answer(quest, raiser === undefined ? { code, ex } : { code, ex, raiser }, 1)
  }
  if (Cause.hasInterruptsOnly(exit.cause)) return conn.answer(quest, serverStopping, 1)
  conn.answer(quest, { code: FpnnErrorCode.ServerInternalError, ex: `Internal error in ${quest.method}` }, 1)
}
