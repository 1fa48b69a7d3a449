import * as t from 'io-ts'
import { FunctionDetails } from './messages'
import { ChannelPair } from './refs'

/**
 * Codecs for the payloads of the functions the engine serves itself (protocol section 2):
 * the engine decodes their inputs and builds their answers with these types, and the SDK
 * sends and reads them with the same. Inputs are open (`t.partial`): a field the engine does
 * not know is ignored, never stored. What the engine stores and shows to other workers (a
 * registration) is decoded exact, see `RegisterFunction`.
 */

/** Input of `engine::channels::create`; no input at all asks for the default buffer size. */
export const CreateChannelInput = t.union([t.undefined, t.null, t.partial({ buffer_size: t.union([t.number, t.null]) })])
export type CreateChannelInput = t.TypeOf<typeof CreateChannelInput>

/** What `engine::channels::create` answers: the two refs, and the buffer size granted. */
export const CreatedChannel = t.intersection([ChannelPair, t.type({ buffer_size: t.number })])
export type CreatedChannel = t.TypeOf<typeof CreatedChannel>

/** Input of the paged listings: `{ limit?, cursor? }`; no input at all is the first page. */
export const PageRequest = t.union([t.undefined, t.null, t.partial({ limit: t.union([t.number, t.null]), cursor: t.union([t.string, t.null]) })])
export type PageRequest = t.TypeOf<typeof PageRequest>

/** A listing's `next_cursor`, present when there is more to list. */
const NextCursor = t.partial({ next_cursor: t.string })

/** The node a listed function or worker is on, when engines form a cluster. */
const OnNode = t.partial({ node_id: t.string })

/** A function as `engine::functions::list` shows it. */
export const ListedFunction = t.intersection([t.type({ function_id: t.string, worker_id: t.string }), OnNode, FunctionDetails])
export type ListedFunction = t.TypeOf<typeof ListedFunction>

/** What `engine::functions::list` answers. */
export const FunctionList = t.intersection([t.type({ functions: t.array(ListedFunction) }), NextCursor])
export type FunctionList = t.TypeOf<typeof FunctionList>

/** A worker as `engine::workers::list` shows it; `metadata` is what it sent to `engine::workers::register`. */
export const ListedWorker = t.intersection([t.type({ worker_id: t.string, connected_at: t.string, functions: t.array(t.string), metadata: t.unknown }), OnNode])
export type ListedWorker = t.TypeOf<typeof ListedWorker>

/** What `engine::workers::list` answers. */
export const WorkerList = t.intersection([t.type({ workers: t.array(ListedWorker) }), NextCursor])
export type WorkerList = t.TypeOf<typeof WorkerList>

/**
 * One end of a listed channel: whether a socket holds it now, the address that socket came from,
 * and, for an end another node of a cluster proxies here, that node (as its upgrade named it).
 * Channel sockets present keys, not worker ids: the engine cannot tell which worker holds an end.
 */
export const ListedChannelEnd = t.intersection([t.type({ connected: t.boolean }), t.partial({ address: t.string, proxied_by: t.string })])
export type ListedChannelEnd = t.TypeOf<typeof ListedChannelEnd>

/**
 * A channel as `engine::channels::list` shows it, never with its keys. `in` counts what the
 * engine took from the writer, `out` what it sent to the reader; a frame is one WebSocket message.
 * `paused_ms` is how long the writer's socket went unread so far, for what the channel held.
 */
export const ListedChannel = t.intersection([
  t.type({
    channel_id: t.string,
    state: t.keyof({ waiting: null, open: null, draining: null }),
    buffer_size: t.number,
    age_ms: t.number,
    owner: t.intersection([t.type({ worker_id: t.string }), t.partial({ name: t.string })]),
    frames_in: t.number,
    bytes_in: t.number,
    frames_out: t.number,
    bytes_out: t.number,
    held_frames: t.number,
    held_bytes: t.number,
    writer_paused: t.boolean,
    paused_ms: t.number,
    writer: ListedChannelEnd,
    reader: ListedChannelEnd,
  }),
  OnNode,
])
export type ListedChannel = t.TypeOf<typeof ListedChannel>

/** What `engine::channels::list` answers. */
export const ChannelList = t.intersection([t.type({ channels: t.array(ListedChannel) }), NextCursor])
export type ChannelList = t.TypeOf<typeof ChannelList>
