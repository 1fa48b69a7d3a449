// Invocations cross nodes on Redis pub/sub, one channel per node, rather than on Streams: one
// PUBLISH reaches the callee's node at once (no polling, no consumer group to trim), and its
// reply says whether that node listens, so a call to a node that does not fails at once.
// Pub/sub delivers at most once, which is enough here: an invocation whose result may have been
// lost (its node died, or a connection to Redis dropped) is failed with a coded error, never
// left waiting, and nothing is replayed that a handler might run twice.

/**
 * A message on a node's inbox: the sending node's id, a line break, then the frame exactly as
 * a worker sent it (or as the engine made it). The frame is never re-encoded: wrapping it in
 * a JSON envelope would escape every quote in it and cost a parse on both sides.
 */
export function toInbox(fromNode: string, frame: string): string {
  return `${fromNode}\n${frame}`
}

/** The sending node and the frame of an inbox message; undefined if it has no sender line. */
export function fromInbox(message: string): { readonly fromNode: string; readonly frame: string } | undefined {
  const end = message.indexOf('\n')
  if (end <= 0 || end > 64) return undefined
  return { fromNode: message.slice(0, end), frame: message.slice(end + 1) }
}
