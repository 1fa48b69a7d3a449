import * as E from 'fp-ts/Either'
import type * as t from 'io-ts'
import { RxChannelsError } from '../errors'
import { ChannelList, FunctionList, WorkerList, type ListedChannel } from '../protocol/engine-functions'
import type { WorkerClient } from '../index'

/** A connected worker as the status view shows it. */
export interface StatusWorker {
  readonly worker_id: string
  readonly name?: string
  readonly functions: number
  readonly connected_at: string
  readonly node_id?: string
}

/** What `rx-channels status` shows at one moment: the engine's listings, and totals over them. */
export interface StatusSnapshot {
  /** When the listings were taken (ISO 8601). */
  readonly at: string
  readonly engine: string
  readonly totals: {
    readonly workers: number
    readonly functions: number
    readonly channels: number
    readonly held_frames: number
    readonly held_bytes: number
    readonly paused_writers: number
  }
  readonly workers: StatusWorker[]
  readonly channels: ListedChannel[]
}

/** Every page of an engine listing, following `next_cursor`; an answer its codec does not decode is an error. */
async function allPages<A extends { next_cursor?: string }>(client: WorkerClient, functionId: string, codec: t.Type<A>): Promise<A[]> {
  const pages: A[] = []
  let cursor: string | undefined
  do {
    const decoded = codec.decode(await client.trigger({ function_id: functionId, payload: cursor === undefined ? {} : { cursor } }))
    if (E.isLeft(decoded)) throw new RxChannelsError('invalid_message', `the engine's answer to ${functionId} is not what this version of rx-channels expects`)
    pages.push(decoded.right)
    cursor = decoded.right.next_cursor
  } while (cursor !== undefined)
  return pages
}

/** Takes a snapshot through the engine functions, over `client`'s worker connection. */
export async function takeSnapshot(client: WorkerClient, engine: string): Promise<StatusSnapshot> {
  const [workerPages, functionPages, channelPages] = await Promise.all([
    allPages(client, 'engine::workers::list', WorkerList),
    allPages(client, 'engine::functions::list', FunctionList),
    allPages(client, 'engine::channels::list', ChannelList),
  ])
  const workers = workerPages.flatMap((page) => page.workers).map((worker) => ({
    worker_id: worker.worker_id,
    ...nameOf(worker.metadata),
    functions: worker.functions.length,
    connected_at: worker.connected_at,
    ...(worker.node_id === undefined ? {} : { node_id: worker.node_id }),
  }))
  const channels = channelPages.flatMap((page) => page.channels)
  let heldFrames = 0
  let heldBytes = 0
  let paused = 0
  for (const channel of channels) {
    heldFrames += channel.held_frames
    heldBytes += channel.held_bytes
    if (channel.writer_paused) paused++
  }
  return {
    at: new Date().toISOString(),
    engine,
    totals: {
      workers: workers.length,
      functions: functionPages.reduce((sum, page) => sum + page.functions.length, 0),
      channels: channels.length,
      held_frames: heldFrames,
      held_bytes: heldBytes,
      paused_writers: paused,
    },
    workers,
    channels,
  }
}

/** The name a worker gave in its metadata, as the engine's log lines use it. */
function nameOf(metadata: unknown): { name?: string } {
  const name = metadata !== null && typeof metadata === 'object' ? (metadata as { name?: unknown }).name : undefined
  return typeof name === 'string' && name !== '' ? { name } : {}
}
