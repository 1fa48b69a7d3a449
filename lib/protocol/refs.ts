import * as t from 'io-ts'

export const ChannelDirection = t.union([t.literal('read'), t.literal('write')])
export type ChannelDirection = t.TypeOf<typeof ChannelDirection>

/** The serializable capability for one end of a channel (protocol section 3). */
export const StreamChannelRef = t.type({
  channel_id: t.string,
  access_key: t.string,
  direction: ChannelDirection,
})
export type StreamChannelRef = t.TypeOf<typeof StreamChannelRef>

export const isChannelRef = (value: unknown): value is StreamChannelRef => StreamChannelRef.is(value)

/** Result of `engine::channels::create`. */
export const ChannelPair = t.type({ writer: StreamChannelRef, reader: StreamChannelRef })
export type ChannelPair = t.TypeOf<typeof ChannelPair>
