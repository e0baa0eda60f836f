/**
 * The settings' flags (Settings.ts) in effect's CLI: what the operation commands parse and
 * what their help shows. A `Record` over the settings, each named as SETTING_FLAGS says.
 */
import { Flag } from "effect/cli"
import { DIALECTS, SETTING_FLAGS as F } from "./Settings.js"

export const settingsFlags = {
  endpoint: Flag.String(F.endpoint).pipe(
    Flag.optional,
    Flag.withDescription("gateway host:port (env RTM_ENDPOINT); start a local one with `rtm-voice emulator`")
  ),
  pid: Flag.String(F.pid).pipe(
    Flag.withMetavar("integer"),
    Flag.optional,
    Flag.withDescription("project id (env RTM_PID)")
  ),
  secret: Flag.Redacted(F.secret).pipe(
    Flag.optional,
    Flag.withDescription("project secret key (env RTM_SECRET, preferred: a flag is visible to other local users)")
  ),
  timeout: Flag.String(F.timeout).pipe(
    Flag.withMetavar("ms"),
    Flag.optional,
    Flag.withDescription("call timeout in ms (env RTM_TIMEOUT; default 5000)")
  ),
  dialect: Flag.Literals(F.dialect, DIALECTS).pipe(
    Flag.optional,
    Flag.withDescription("wire method names: voice (VoiceRoom era, default) or rtc (env RTM_DIALECT)")
  ),
  serverKey: Flag.String(F.serverKey).pipe(
    Flag.withMetavar("file"),
    Flag.optional,
    Flag.withDescription(
      "encrypt the connection with the server public key in this file: PEM, DER or raw (env RTM_SERVER_KEY)"
    )
  ),
  // withOptionalValue: a bare `--json` never consumes the next token. Without it, effect's
  // boolean flag swallows a following boolean literal, so `count --json 1` lost its room id
  // (1/0/on/off/yes/no are all literals). `--json=false` still works.
  json: Flag.Boolean(F.json).pipe(
    Flag.withOptionalValue("true"),
    Flag.withDefault(false),
    Flag.withDescription("print one JSON object (ids as exact integers); errors too, on stderr")
  )
}
