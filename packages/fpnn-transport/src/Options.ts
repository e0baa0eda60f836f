/**
 * Option checking, once, when a client or server is built: before any fiber or socket
 * exists. Every reader here is total: it returns a value or an `FpnnOptionsError` naming
 * the option, for any input — a wrong type, a Symbol, a Proxy whose traps throw, a getter
 * that throws — so a bad option is a typed failure of the Layer, never a defect or a hang.
 */
export {
  DEFAULT_CONNECT_TIMEOUT_MILLIS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_QUEST_TIMEOUT_MILLIS,
  DEFAULT_SHUTDOWN_GRACE_MILLIS,
  resolveCallTimeout,
  resolveClientOptions,
  type ResolvedClientOptions,
  type ResolvedEncryption,
  type ResolvedKeepalive,
  type ResolvedReconnect
} from "./internal/options/ClientOptions.js"
export {
  check,
  durationMillis,
  type DurationRule,
  type Endpoint,
  field,
  integer,
  MAX_TIMER_MILLIS,
  oneOf,
  optionalDuration,
  optionalInteger,
  parseEndpoint,
  record,
  reject as rejectOption,
  show,
  timerMillis
} from "./internal/options/Readers.js"
export { hostOf, type ResolvedServerOptions, resolveServerOptions } from "./internal/options/ServerOptions.js"
