import * as E from 'fp-ts/Either'
import * as t from 'io-ts'

// What nodes write to Redis and publish is decoded like anything else that crosses a process
// boundary: a node of another version, or a hand-edited key, gets a clear error, never a crash.

/** Who holds a function, and how it is listed (the registration's details, invocation headers redacted). */
export const FunctionClaim = t.type({ node: t.string, worker: t.string, listed: t.UnknownRecord })
export type FunctionClaim = t.TypeOf<typeof FunctionClaim>

/** A worker as the cluster lists it; its functions are those the registry says it holds. */
export const WorkerListing = t.type({ node: t.string, worker_id: t.string, connected_at: t.string, metadata: t.unknown })
export type WorkerListing = t.TypeOf<typeof WorkerListing>

/** A change to the registry or the membership, published by the Lua script that made it. */
export const ClusterEvent = t.union([
  t.type({ op: t.literal('claim'), id: t.string, entry: t.string }),
  t.type({ op: t.literal('release'), id: t.string, node: t.string, worker: t.string }),
  t.type({ op: t.literal('worker'), entry: t.string }),
  t.type({ op: t.literal('worker-left'), node: t.string, worker: t.string }),
  t.type({ op: t.literal('node-joined'), node: t.string, url: t.string }),
  t.type({ op: t.literal('node-gone'), node: t.string, expired: t.boolean }),
])
export type ClusterEvent = t.TypeOf<typeof ClusterEvent>

/** Parses `text` as JSON and decodes it with `codec`; the error says what was wrong, briefly. */
export function decodeJson<A>(codec: t.Decoder<unknown, A>, text: string): E.Either<string, A> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return E.left(`not JSON: ${(error as Error).message}`)
  }
  const decoded = codec.decode(value)
  return E.isRight(decoded) ? decoded : E.left(`not a valid ${codec.name.slice(0, 80)}`)
}
