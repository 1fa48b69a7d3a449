import { randomBytes } from 'crypto'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'
import { spawnTs, type TsProcess } from './processes'

/** An engine CLI process that is one node of a cluster. */
export interface ClusterEngine {
  readonly nodeId: string
  readonly url: string
  readonly process: TsProcess
}

export interface ClusterEngineOptions {
  readonly redis: string
  readonly nodeId: string
  /** The cluster's key prefix: a fresh one per run, so that runs sharing a Redis never meet. */
  readonly prefix: string
  /** A killed node is found dead after about this long. */
  readonly nodeTtlMs?: number
  readonly logLevel?: string
  /** More flags for `rx-channels engine`, limits for instance. */
  readonly flags?: readonly string[]
}

/** A key prefix no other run uses. */
export function clusterPrefix(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}:`
}

/**
 * Runs `rx-channels engine --redis ... --node-id ...` from source on a free port, as the CLI runs
 * it. The process is returned at once, so that the caller holds it before anything can interrupt
 * the start; `ready` resolves once it listens (and so has joined).
 */
export function spawnClusterEngine(options: ClusterEngineOptions): { readonly process: TsProcess; readonly ready: Promise<ClusterEngine> } {
  const args = ['engine', '--port', '0', '--log-level', options.logLevel ?? 'warn', '--redis', options.redis, '--node-id', options.nodeId]
  args.push('--redis-prefix', options.prefix)
  if (options.nodeTtlMs !== undefined) args.push('--node-ttl-ms', String(options.nodeTtlMs))
  args.push(...(options.flags ?? []))
  const engine = spawnTs('lib/cli/main.ts', args, { nodeFlags: ENGINE_NODE_FLAGS })
  const ready = engine.waitForLine(/ws:\/\/\S+/).then(([url]) => ({ nodeId: options.nodeId, url, process: engine }))
  return { process: engine, ready }
}
