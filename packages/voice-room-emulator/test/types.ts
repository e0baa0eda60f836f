// Compile-time checks of the semantics' types derived from the operation table (tsc only).
import { Rooms, semantics } from "../src/Rooms.js"

// @ts-expect-error room ids are bigints once validated
semantics.closeVoiceRoom(new Rooms(), "x")
// @ts-expect-error the count is a number (or an error answer)
export const s: string = semantics.getVoiceRoomMemberCount(new Rooms(), 1n)
semantics.adminCommand(new Rooms(), 1n, [1n], "allowAudio")
// @ts-expect-error unknown command
semantics.adminCommand(new Rooms(), 1n, [1n], "nope")
