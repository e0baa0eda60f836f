/**
 * What the CLI prints for a failure: one line naming the error's tag, reason, code and
 * message, or (under `--json`) one object. Free of the transport's modules, so that
 * reporting a usage error loads no client code; the JSON text is written by Output.ts's
 * exactJson, loaded only then.
 */

/** The reason of an error as a name: a tagged reason's `_tag`, or a plain string reason. */
export const reasonOf = (error: unknown): string | undefined => {
  const reason = (error as { reason?: unknown }).reason
  if (typeof reason === "string") return reason
  if (typeof reason === "object" && reason !== null && typeof (reason as { _tag?: unknown })._tag === "string") {
    return (reason as { _tag: string })._tag
  }
  return undefined
}

/**
 * The error's message on one line. effect's platform errors (e.g. SocketServerError when
 * the port is taken) carry a one-word message; the system error that explains it is the cause.
 */
const messageOf = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const e = error as { message?: unknown; cause?: unknown }
  const message = String(e.message ?? "")
  const cause = !message.includes(" ") && e.cause instanceof Error && e.cause.message !== ""
    ? `: ${e.cause.message}`
    : ""
  return `${message}${cause}`.replace(/\s*\n\s*/g, " ").trim()
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { _tag: string })._tag
    : undefined

/**
 * One line naming the error's tag, its reason and code when it has them, and its message.
 * The reason is shown for the SDK's and the CLI's errors; effect's own (SocketServerError...)
 * say it in their message.
 */
export const describeError = (error: unknown): string => {
  const tag = tagOf(error)
  if (tag === undefined) return `error: ${messageOf(error)}`
  const reason = /^(Fpnn|Rtm|VoiceRoom|Encryption|Cli)/.test(tag) ? reasonOf(error) : undefined
  const code = (error as { code?: unknown }).code
  return `error: ${tag}${reason === undefined ? "" : ` (${reason})`}${
    typeof code === "number" ? ` code ${code}` : ""
  }: ${messageOf(error)}`
}

/**
 * The `--json` form of an error: `{"error":{"tag","reason","code","message",...}}`, with
 * `sent` and the offending parameter or option where the error has them. Written with
 * exactJson, so an id in a field is exact.
 */
export const errorJson = (error: unknown): Record<string, unknown> => {
  const e = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>
  const reason = reasonOf(error)
  const out: Record<string, unknown> = { tag: tagOf(error) ?? "Error" }
  if (reason !== undefined) out.reason = reason
  if (typeof e.code === "number") out.code = e.code
  out.message = messageOf(error)
  if (typeof e.sent === "boolean") out.sent = e.sent
  if (typeof e.parameter === "string") out.parameter = e.parameter
  if (typeof e.option === "string") out.option = e.option
  if (typeof e.operation === "string") out.operation = e.operation
  return { error: out }
}
