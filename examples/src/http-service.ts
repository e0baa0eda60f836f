/**
 * Example: an HTTP service on effect's own HTTP server (`effect/http`) and
 * `@effect/platform-node`, in front of the voice-room SDK.
 *
 *   POST   /rooms/:roomId/members/:uid   pull the user into the room; answers the members
 *   DELETE /rooms/:roomId/members/:uid   kick the user out; answers the members
 *   GET    /rooms/:roomId                members and count
 *
 * Ids travel as decimal strings, in the path and in the JSON answers (`RoomId`, `Uid`,
 * `JsonAnswers` of the SDK), so ids beyond 2^53 arrive exactly. Failures map to statuses:
 * 400 an invalid id, 404 a user not in the room (NotInRoom), 502 another gateway error or an
 * answer the SDK could not decode, 503 the gateway unreachable, 504 no answer in time.
 *
 * Run it: `RTM_ENDPOINT=… RTM_PID=… RTM_SECRET=… node dist/http-service.js` (see `main`).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import {
  JsonAnswers,
  RoomId,
  Uid,
  VoiceRoomClient,
  type VoiceRoomError,
  VoiceRoomMembersJson
} from "@rtm-voice/voice-room"
import { Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { type HttpBodyError } from "effect/http/HttpBody"
import { createServer } from "node:http"

const RoomPath = Schema.Struct({ roomId: RoomId })
const MemberPath = Schema.Struct({ roomId: RoomId, uid: Uid })

/** `{ roomId, members: { uids, managers }, count }`, every id a decimal string. */
export const RoomJson = Schema.Struct({
  roomId: RoomId,
  members: VoiceRoomMembersJson,
  count: JsonAnswers.getVoiceRoomMemberCount
})
/** `{ roomId, members: { uids, managers } }`. */
export const MembersJson = Schema.Struct({ roomId: RoomId, members: VoiceRoomMembersJson })

/** The JSON body of every error answer. */
export const ErrorJson = Schema.Struct({ error: Schema.String, message: Schema.String })

const errorResponse = (status: number, error: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ error, message }, { status })

/** The HTTP answer to a failure of the SDK or of the path's ids. */
export const toErrorResponse = (error: VoiceRoomError | Schema.SchemaError): HttpServerResponse.HttpServerResponse => {
  switch (error._tag) {
    case "SchemaError":
      return errorResponse(400, "InvalidId", "room and user ids are decimal int64 strings")
    case "VoiceRoomValidationError":
      return errorResponse(400, "InvalidArgument", error.message)
    case "RtmError":
      return errorResponse(error.reason._tag === "NotInRoom" ? 404 : 502, error.reason._tag, error.message)
    case "FpnnConnectionError":
      return errorResponse(503, "Unavailable", "the voice-room gateway cannot be reached")
    case "FpnnTimeoutError":
      return errorResponse(504, "Timeout", "the voice-room gateway did not answer in time")
    default:
      return errorResponse(502, error._tag, error.message)
  }
}

/** Answers the SDK's failures with their status; a response that cannot be encoded stays a failure. */
const answerFailures = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, VoiceRoomError | Schema.SchemaError | HttpBodyError, R>
) => handler.pipe(Effect.catch((e) => e._tag === "HttpBodyError" ? Effect.fail(e) : Effect.succeed(toErrorResponse(e))))

const roomAnswer = (roomId: bigint) =>
  Effect.gen(function*() {
    const rooms = yield* VoiceRoomClient
    const [members, count] = yield* Effect.all(
      [rooms.getVoiceRoomMembers(roomId), rooms.getVoiceRoomMemberCount(roomId)],
      { concurrency: 2 }
    )
    return yield* HttpServerResponse.schemaJson(RoomJson)({ roomId, members, count })
  })

const membersAnswer = (roomId: bigint) =>
  Effect.gen(function*() {
    const members = yield* (yield* VoiceRoomClient).getVoiceRoomMembers(roomId)
    return yield* HttpServerResponse.schemaJson(MembersJson)({ roomId, members })
  })

/** The routes, needing a `VoiceRoomClient`. `operatorUid`: on whose behalf kicks are issued. */
export const RoomRoutes = (options: { readonly operatorUid: bigint }) =>
  HttpRouter.addAll([
    HttpRouter.route(
      "POST",
      "/rooms/:roomId/members/:uid",
      Effect.gen(function*() {
        const { roomId, uid } = yield* HttpRouter.schemaPathParams(MemberPath)
        yield* (yield* VoiceRoomClient).pullUserIntoVoiceRoom(roomId, [uid])
        return yield* membersAnswer(roomId)
      }).pipe(answerFailures)
    ),
    HttpRouter.route(
      "DELETE",
      "/rooms/:roomId/members/:uid",
      Effect.gen(function*() {
        const { roomId, uid } = yield* HttpRouter.schemaPathParams(MemberPath)
        yield* (yield* VoiceRoomClient).kickoutFromVoiceRoom(roomId, uid, options.operatorUid)
        return yield* membersAnswer(roomId)
      }).pipe(answerFailures)
    ),
    HttpRouter.route(
      "GET",
      "/rooms/:roomId",
      Effect.gen(function*() {
        const { roomId } = yield* HttpRouter.schemaPathParams(RoomPath)
        return yield* roomAnswer(roomId)
      }).pipe(answerFailures)
    )
  ])

/** The service listening on `port` (0: a free one), with the client the caller provides. */
export const RoomService = (options: { readonly port: number; readonly operatorUid: bigint }) =>
  HttpRouter.serve(RoomRoutes(options), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host: "127.0.0.1" }))
  )

/** The service as a program: configured from the environment, on port 8080 (or `PORT`). */
export const main = Layer.launch(
  RoomService({ port: Number(process.env["PORT"] ?? 8080), operatorUid: 0n }).pipe(
    Layer.provide(VoiceRoomClient.layerConfig())
  )
)

if (import.meta.url === `file://${process.argv[1]}`) NodeRuntime.runMain(main)
