import type Redis from 'ioredis'
import type { ClusterKeys } from './redis-keys'

// Each change to the registry is one Lua script: the check, the write and the event that tells
// the other nodes happen atomically, so that every node sees the changes in the order Redis made them.

/** Renews this node's membership; 1 when it (re)joined: first start, a restarted Redis, or found dead by another node. */
const HEARTBEAT = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('PUBLISH', KEYS[3], cjson.encode({op = 'node-joined', node = ARGV[1], url = ARGV[2]}))
  return 1
end
return 0`

/** Claims a function for this node when nobody holds it or this node does; else returns the holder's claim. */
const CLAIM = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and cjson.decode(current).node ~= ARGV[2] then return current end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[3], cjson.encode({op = 'claim', id = ARGV[1], entry = ARGV[3]}))
return false`

/** Releases a function if this node's worker still holds it. */
const RELEASE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local claim = cjson.decode(current)
if claim.node ~= ARGV[2] or claim.worker ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[3], cjson.encode({op = 'release', id = ARGV[1], node = ARGV[2], worker = ARGV[3]}))
return 1`

const PUT_WORKER = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[3], cjson.encode({op = 'worker', entry = ARGV[2]}))
return 1`

const REMOVE_WORKER = `
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[3], cjson.encode({op = 'worker-left', node = ARGV[2], worker = ARGV[1]}))
return 1`

/**
 * Removes a node that left or died, with its functions and workers, once: a second call (from
 * another node that found it dead at the same time) finds it gone and does nothing. With
 * ARGV[2] = '1' it does nothing while the node's membership is still there (it renewed in time).
 */
const REMOVE_NODE = `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local current = redis.call('HGET', KEYS[4], id)
  if current and cjson.decode(current).node == ARGV[1] then redis.call('HDEL', KEYS[4], id) end
end
redis.call('DEL', KEYS[3])
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[5])) do redis.call('HDEL', KEYS[6], worker) end
redis.call('DEL', KEYS[5])
redis.call('PUBLISH', KEYS[7], cjson.encode({op = 'node-gone', node = ARGV[1], expired = ARGV[2] == '1'}))
return 1`

/** What the registry and the membership hold in Redis, read at once to rebuild a node's mirror. */
export interface ClusterSnapshot {
  /** Function id -> claim JSON. */
  readonly functions: Record<string, string>
  /** Worker id -> listing JSON. */
  readonly workers: Record<string, string>
  readonly members: ReadonlyArray<readonly [nodeId: string, url: string | null]>
}

/** The cluster's state in Redis, as one node reads and changes it. */
export class ClusterStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly nodeId: string,
  ) {}

  async heartbeat(url: string, ttlMs: number): Promise<boolean> {
    const { keys } = this
    return (await this.redis.eval(HEARTBEAT, 3, keys.node(this.nodeId), keys.nodes, keys.events, this.nodeId, url, String(ttlMs))) === 1
  }

  /** Claims `functionId` for this node; resolves with the claim that holds it instead, if another node's does. */
  async claim(functionId: string, claimJson: string): Promise<string | undefined> {
    const { keys } = this
    const held = await this.redis.eval(CLAIM, 3, keys.functions, keys.nodeFunctions(this.nodeId), keys.events, functionId, this.nodeId, claimJson)
    return typeof held === 'string' ? held : undefined
  }

  async release(functionId: string, workerId: string): Promise<void> {
    const { keys } = this
    await this.redis.eval(RELEASE, 3, keys.functions, keys.nodeFunctions(this.nodeId), keys.events, functionId, this.nodeId, workerId)
  }

  async putWorker(workerId: string, listingJson: string): Promise<void> {
    const { keys } = this
    await this.redis.eval(PUT_WORKER, 3, keys.workers, keys.nodeWorkers(this.nodeId), keys.events, workerId, listingJson)
  }

  async removeWorker(workerId: string): Promise<void> {
    const { keys } = this
    await this.redis.eval(REMOVE_WORKER, 3, keys.workers, keys.nodeWorkers(this.nodeId), keys.events, workerId, this.nodeId)
  }

  /** Removes node `nodeId` (only if its membership expired, with `ifExpired`); true if this call removed it. */
  async removeNode(nodeId: string, ifExpired: boolean): Promise<boolean> {
    const { keys } = this
    const removed = await this.redis.eval(
      REMOVE_NODE,
      7,
      keys.nodes,
      keys.node(nodeId),
      keys.nodeFunctions(nodeId),
      keys.functions,
      keys.nodeWorkers(nodeId),
      keys.workers,
      keys.events,
      nodeId,
      ifExpired ? '1' : '0',
    )
    return removed === 1
  }

  /** Node `nodeId`'s membership as Redis holds it now: its URL and the ms before it expires, or undefined when there is none. */
  async membership(nodeId: string): Promise<{ readonly url: string; readonly expiresInMs: number } | undefined> {
    const key = this.keys.node(nodeId)
    const [[, url], [, expiresInMs]] = (await this.redis.multi().get(key).pttl(key).exec()) as [[Error | null, string | null], [Error | null, number]]
    return url === null || expiresInMs < 0 ? undefined : { url, expiresInMs }
  }

  /** The nodes that joined, each with its advertised URL, or null once its membership expired. */
  async members(): Promise<Array<[string, string | null]>> {
    const ids = await this.redis.smembers(this.keys.nodes)
    if (ids.length === 0) return []
    const urls = await this.redis.mget(ids.map((id) => this.keys.node(id)))
    return ids.map((id, index) => [id, urls[index] ?? null])
  }

  async snapshot(): Promise<ClusterSnapshot> {
    const [functions, workers, members] = await Promise.all([this.redis.hgetall(this.keys.functions), this.redis.hgetall(this.keys.workers), this.members()])
    return { functions, workers, members }
  }
}
