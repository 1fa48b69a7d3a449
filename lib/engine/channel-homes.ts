/**
 * Where channels live when engines form a cluster: each channel lives on the node that created
 * it, and its `channel_id` names that node. A channel socket that reaches another node is
 * proxied to the home node's own channel endpoint.
 */
export interface ChannelHomes {
  /** This node's id, put in the ids of the channels it creates. */
  readonly selfId: string
  /** `ws://HOST:PORT` (or `wss://`) where node `nodeId` serves channel sockets, while it is a live member. */
  urlOf(nodeId: string): string | undefined
  /** The nodes known to be live, this one included, with their addresses (for metrics); absent where nobody tracks them. */
  readonly members?: ReadonlyMap<string, string>
}
