/**
 * The platform services effect's CLI asks for (`Command.Environment`), as this CLI uses
 * them: Node's path; stdio writing straight to process.stdout / stderr, with no stdin (the
 * CLI reads none); a terminal that reports its size and writes, but never
 * reads (the CLI has no prompts); a child-process spawner that is never called (the CLI
 * starts no processes); and no file system: effect's CLI reads files only for file-typed
 * flags, which this CLI does not declare. The commands that do read or write files (the
 * operations, with a key file; emulator; keygen) provide Node's file system themselves,
 * from their lazily loaded modules (`withFileSystem` in NodeFiles.ts). Node's own terminal, spawner and
 * file system would load readline, child_process, net, dgram, crypto, streams and
 * fs/promises on every start, `--help` included, for nothing.
 */
import * as NodePath from "@effect/platform-node/NodePath"
import { Effect, FileSystem, Layer, Sink, Stdio, Stream, Terminal } from "effect"
import { TerminalCapabilities } from "effect/cli"
import { ChildProcessSpawner } from "effect/process"
import { canColor } from "./Colors.js"

const noPrompts = Effect.die(new Error("rtm-voice has no interactive prompts"))

const terminal = Terminal.make({
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  size: Effect.die(new Error("rtm-voice does not follow terminal resizes")),
  readInput: noPrompts,
  readLine: noPrompts,
  display: (text) =>
    Effect.callback<void>((resume) => {
      process.stdout.write(text, () => resume(Effect.void))
    })
})

const write = (stream: NodeJS.WriteStream) => () =>
  Sink.forEach((chunk: string | Uint8Array) =>
    Effect.callback<void>((resume) => {
      stream.write(chunk, () => resume(Effect.void))
    })
  )

const stdio = Stdio.make({
  args: Effect.sync(() => process.argv.slice(2)),
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  stdin: Stream.die(new Error("rtm-voice reads no standard input")),
  stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
  stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
  stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true)
})

/** What effect's CLI would detect (Colors.ts), with no prompts. */
const capabilities = (): TerminalCapabilities.TerminalCapabilities => {
  const color = canColor()
  return { canColor: color, canAnimate: color && process.stdout.isTTY === true, canPrompt: false }
}

export const cliServices = Layer.mergeAll(
  Layer.sync(TerminalCapabilities.TerminalCapabilities, capabilities),
  FileSystem.layerNoop({}),
  NodePath.layer,
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(
    ChildProcessSpawner.ChildProcessSpawner,
    ChildProcessSpawner.make(() => Effect.die(new Error("rtm-voice starts no child processes")))
  )
)
