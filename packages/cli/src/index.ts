/** The `rtm-voice` command line as a library: its commands, for embedding and tests. */
export { rtmVoice } from "./Cli.js"
export { commandNames, type CommandSpec, commandSpecs, toArguments } from "./Commands.js"
export { runDemo } from "./Demo.js"
export { OPERATIONS_END, OPERATIONS_START, renderOperationsTable, withOperationsTable } from "./Docs.js"
export { describeError, exactJson, humanResult, jsonResult } from "./Output.js"
