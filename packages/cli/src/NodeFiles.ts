/** Node's file system, for the commands that read or write files; imported by lazily loaded modules only. */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, type FileSystem } from "effect"

export const withFileSystem = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, FileSystem.FileSystem>> => Effect.provide(effect, NodeFileSystem.layer)
