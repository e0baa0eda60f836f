/**
 * The error codes of the FPNN framework (FPNN.md §11), named once: code → name (the C++
 * `FPNN_EC_*` names in PascalCase). `fpnnCodeOf` is the reverse.
 */
export const fpnnCodes = {
  10001: "ProtoUnknownError",
  10002: "ProtoNotSupported",
  10003: "InvalidPackage",
  10004: "JsonConvert",
  10005: "NonStringKey",
  10006: "NotAMap",
  10007: "WrongMessageType",
  10008: "UnsupportedProtoType",
  10009: "MissingField",
  10010: "WrongFieldType",
  10011: "InvalidFileSign",
  10012: "FileNotExist",
  20001: "ServerInternalError",
  20002: "ConnectionClosed",
  20003: "ServerTimeout",
  20004: "UnknownMethod",
  20005: "EncodingError",
  20006: "DecodingError",
  20007: "SendError",
  20008: "ReceiveError",
  20009: "CoreInvalidPackage",
  20010: "HttpError",
  20011: "WorkQueueFull",
  20012: "InvalidConnection",
  20013: "Forbidden",
  20014: "ServerStopping",
  20015: "Cancelled",
  30001: "ZipCompress",
  30002: "ZipDecompress"
} as const

export type FpnnCodeName = (typeof fpnnCodes)[keyof typeof fpnnCodes]

/** The reverse of `fpnnCodes`, exactly typed: name → its code literal. */
type CodeOfName = { readonly [C in keyof typeof fpnnCodes as (typeof fpnnCodes)[C]]: C }

// Object.fromEntries types its result as a string-keyed record: the reverse mapped type
// above is what the entries of `fpnnCodes`, swapped, are.
const codeOfName = Object.fromEntries(
  Object.entries(fpnnCodes).map(([code, name]) => [name, Number(code)])
) as CodeOfName

/** The code of each named FPNN error. */
export const fpnnCodeOf: { readonly [N in FpnnCodeName]: number } = codeOfName

/**
 * The FPNN error codes the transport's server answers with on its own (FPNN.md §11).
 * `EncodingError` (FPNN_EC_CORE_ENCODING) is also the answer that replaces one that would
 * exceed the frame limit: the peer would close the connection on such a frame.
 */
export const FpnnErrorCode = {
  ServerInternalError: codeOfName.ServerInternalError,
  UnknownMethod: codeOfName.UnknownMethod,
  EncodingError: codeOfName.EncodingError,
  ServerStopping: codeOfName.ServerStopping
} as const
