/**
 * The settings' flags (Settings.ts) in effect's CLI: what the operation commands parse and
 * what their help shows. A `Record` over the settings, each named as SETTING_FLAGS says.
 */
import type { Option } from "effect"
import { Flag } from "effect/cli"
import { DIALECTS, SETTING_FLAGS as F } from "./Settings.js"

/** A connection setting's flag: optional (an absent one falls back to the environment), with its metavar and help. */
const setting = <A>(flag: Flag.Flag<A>, description: string, metavar?: string): Flag.Flag<Option.Option<A>> =>
  (metavar === undefined ? flag : Flag.withMetavar(flag, metavar)).pipe(
    Flag.optional,
    Flag.withDescription(description)
  )

export const settingsFlags = {
  endpoint: setting(
    Flag.String(F.endpoint),
    "gateway host:port (env RTM_ENDPOINT); start a local one with `rtm-voice emulator`"
  ),
  pid: setting(Flag.String(F.pid), "project id (env RTM_PID)", "integer"),
  secret: setting(
    Flag.Redacted(F.secret),
    "project secret key (env RTM_SECRET, preferred: a flag is visible to other local users)"
  ),
  timeout: setting(Flag.String(F.timeout), "call timeout in ms (env RTM_TIMEOUT; default 5000)", "ms"),
  dialect: setting(
    Flag.Literals(F.dialect, DIALECTS),
    "wire method names: voice (VoiceRoom era, default) or rtc (env RTM_DIALECT)"
  ),
  serverKey: setting(
    Flag.String(F.serverKey),
    "encrypt the connection with the server public key in this file: PEM, DER or raw (env RTM_SERVER_KEY)",
    "file"
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
