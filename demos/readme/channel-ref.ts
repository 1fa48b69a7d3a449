export interface StreamChannelRef {
  channel_id: string
  access_key: string // grants this end (direction) only
  direction: 'read' | 'write'
}
