/** The names of the Redis keys and pub/sub channels of one cluster, all under its prefix. */
export interface ClusterKeys {
  /** Set of the ids of the nodes that joined and have not been found dead. */
  readonly nodes: string
  /** A node's membership: its advertised URL, with an expiry its node renews. */
  node(nodeId: string): string
  /** Hash: function id -> its claim (owning node and worker, listed details), as JSON. */
  readonly functions: string
  /** Set of the function ids a node claimed, so that its functions can be released when it dies. */
  nodeFunctions(nodeId: string): string
  /** Hash: worker id -> its listing (node, connected_at, metadata), as JSON. */
  readonly workers: string
  nodeWorkers(nodeId: string): string
  /** Pub/sub channel of the changes to the registry and the membership. */
  readonly events: string
  /** Pub/sub channel on which a node takes invocations and results from the others. */
  inbox(nodeId: string): string
}

export function clusterKeys(prefix: string): ClusterKeys {
  return {
    nodes: `${prefix}nodes`,
    node: (nodeId) => `${prefix}node:${nodeId}`,
    functions: `${prefix}functions`,
    nodeFunctions: (nodeId) => `${prefix}node-functions:${nodeId}`,
    workers: `${prefix}workers`,
    nodeWorkers: (nodeId) => `${prefix}node-workers:${nodeId}`,
    events: `${prefix}events`,
    inbox: (nodeId) => `${prefix}inbox:${nodeId}`,
  }
}
