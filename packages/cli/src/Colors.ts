/**
 * Whether output may be coloured, as effect's CLI decides it (TERM=dumb, NO_COLOR,
 * FORCE_COLOR, stdout a terminal), without touching process.stdin: reading it creates a
 * ReadStream, which loads fs/promises, readline and the stream classes.
 */
export const canColor = (): boolean => {
  const env = process.env
  if (env.TERM === "dumb") return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== "" && force !== "0" && force.toLowerCase() !== "false") return true
  return process.stdout.isTTY === true
}
