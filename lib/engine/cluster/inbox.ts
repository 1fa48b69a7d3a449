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
