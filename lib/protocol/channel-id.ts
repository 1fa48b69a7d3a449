/** What a cluster node id may hold: no '.', so the first '.' of a channel id ends the id of its home. */
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/

export function isNodeId(value: string): boolean {
  return NODE_ID.test(value)
}

/**
 * The id of a channel held by cluster node `homeId`: `${homeId}.${uuid}`, so that any node
 * can tell where to proxy an end. URL-safe, and far within MAX_CHANNEL_ID_LENGTH.
 */
export function homedChannelId(homeId: string, uuid: string): string {
  return `${homeId}.${uuid}`
}

/** The node a channel id names as its home, or undefined for a plain id (an engine on its own). */
export function channelHome(channelId: string): string | undefined {
  const dot = channelId.indexOf('.')
  if (dot < 0) return undefined
  const home = channelId.slice(0, dot)
  return isNodeId(home) ? home : undefined
}
