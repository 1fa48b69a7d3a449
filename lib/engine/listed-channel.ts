import type { ListedChannel, ListedChannelEnd } from '../protocol/engine-functions'
import type { ChannelDirection } from '../protocol/refs'
import type { ChannelRelay } from './channel-relay'

/** A channel as `engine::channels::list` and `engine.channels()` show it: its counts and ends, never its keys. */
export function listedChannel(relay: ChannelRelay, now: number, nodeId: string | undefined): ListedChannel {
  const relayed = relay.relayedSoFar
  const { owner } = relay
  return {
    channel_id: relay.channelId,
    state: relay.state,
    buffer_size: relay.bufferFrames,
    age_ms: Math.round(now - relay.createdAt),
    owner: owner.name === undefined ? { worker_id: owner.id } : { worker_id: owner.id, name: owner.name },
    frames_in: relayed.framesIn,
    bytes_in: relayed.bytesIn,
    frames_out: relayed.framesOut,
    bytes_out: relayed.bytesOut,
    held_frames: relay.heldFrames,
    held_bytes: relay.heldBytes,
    writer_paused: relay.writerPaused,
    paused_ms: Math.round(relay.pausedMs),
    writer: listedEnd(relay, 'write'),
    reader: listedEnd(relay, 'read'),
    ...(nodeId === undefined ? {} : { node_id: nodeId }),
  }
}

function listedEnd(relay: ChannelRelay, direction: ChannelDirection): ListedChannelEnd {
  const peer = relay.peers[direction]
  return {
    connected: relay.connected(direction),
    ...(peer === undefined ? {} : { address: peer.address }),
    ...(peer?.proxiedBy === undefined ? {} : { proxied_by: peer.proxiedBy }),
  }
}
