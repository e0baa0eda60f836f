/**
 * The `rtm-voice` command line (effect's CLI module) as one command tree, for embedding and
 * tests: one command per voice-room operation, plus `emulator`, `demo` and `keygen`
 * (CliTree.ts declares them).
 */
import { rtmVoiceTree } from "./CliTree.js"

export const rtmVoice = rtmVoiceTree()
