/**
 * What an `FpnnConnectionError` says, per reason: the failure in the words of its cause,
 * what to check, and whether the call may have taken effect.
 */
import type { ConnectionErrorFields, ConnectionErrorReasonName } from "../../Errors.js"

const outcome = (sent: boolean): string =>
  sent
    ? "the call may or may not have taken effect — it was not resent"
    : "the call was not sent, so it did not take effect"

export const connectionMessage = (reason: ConnectionErrorReasonName, e: ConnectionErrorFields): string => {
  const { detail, endpoint } = e
  const code = detail === undefined ? "" : ` (${detail})`
  const base = ((): string => {
    switch (reason) {
      case "Refused":
        return `connection to ${endpoint} was refused: nothing listens there; check the host and port`
      case "Unresolved":
        return `the host of ${endpoint} could not be resolved${code}; check the host name`
      case "ConnectTimeout":
        return `connecting to ${endpoint} ${detail ?? "timed out"}; check the endpoint, the network and the ` +
          "encryption settings, or raise the connect timeout"
      case "Closed":
        return `the connection to ${endpoint} was closed${code} before the answer arrived; ${outcome(e.sent)}`
      case "KeepaliveTimeout":
        return `${endpoint} ${detail ?? "sent nothing"} and did not answer keep-alive pings; ` +
          "the connection was declared dead and closed (the next call reconnects)"
      case "Stalled":
        return `${endpoint} stopped reading: more than ${detail ?? "maxQueuedBytes"} bytes waited to be sent, ` +
          "so the connection was closed (the next call reconnects)"
      case "ProtocolViolation":
        return `${endpoint} sent bytes that are not valid FPNN${code}; the connection was closed. ` +
          "Check that the endpoint is an FPNN server (and whether it expects encryption)."
      case "Encryption":
        return `${detail ?? `the encrypted connection to ${endpoint} failed`}; check that the server has ` +
          "encryption enabled and that the server key (and its curve) matches the server's private key"
      case "Shutdown":
        return `the client for ${endpoint} was shut down (its scope closed); create a new one to make calls`
      case "Unknown":
        return `connecting to ${endpoint} failed${code}`
    }
  })()
  const backoff = e.retryInMillis === undefined
    ? ""
    : ` (reconnecting is backed off for another ${e.retryInMillis} ms; the call was not sent)`
  const lost = e.sent && reason !== "Closed" ? `; ${outcome(true)}` : ""
  return base + backoff + lost
}
