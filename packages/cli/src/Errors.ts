/**
 * The CLI's own failure: a usage problem found before anything connects (a missing or bad
 * setting, a bad argument, a key file that cannot be used, a file `keygen` would overwrite).
 * Exit code 2. Its `reason` is a tagged value, like every error of the SDK, so that
 * `Effect.catchReason("CliUsageError", "MissingSetting", ...)` works, and `--json` prints it
 * as `{"error":{"tag":"CliUsageError","reason":"MissingSetting","message":...}}`.
 */
import { Schema } from "effect"

const reasons = [
  "MissingSetting",
  "InvalidSetting",
  "UnknownCommand",
  "UnknownFlag",
  "MissingArgument",
  "InvalidArgument",
  "UnexpectedArgument",
  "MisplacedFlag",
  "KeyFile",
  "FileExists"
] as const

export type CliUsageReasonTag = (typeof reasons)[number]

export const CliUsageReason = Schema.Union(reasons.map((tag) => Schema.TaggedStruct(tag, {})))
export type CliUsageReason = typeof CliUsageReason.Type

export class CliUsageError extends Schema.TaggedError<CliUsageError>()("CliUsageError", {
  reason: CliUsageReason,
  message: Schema.String
}) {
  /** Nothing is ever sent: the CLI stops before it connects. */
  get sent(): boolean {
    return false
  }
}

/** A usage error with a reason and a one-line message. */
export const usageError = (reason: CliUsageReasonTag, message: string): CliUsageError =>
  new CliUsageError({ reason: { _tag: reason } as CliUsageReason, message })
