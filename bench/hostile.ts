// Hostile mix: one engine process (`rx-channels engine`, default limits) for SECONDS against a
// frozen consumer, a reader that never reads, half-sent upgrades, a registration flood and an
// /otel flood, while a healthy worker invokes and streams. Reports, asserts nothing: the
// engine's peak RSS, whether it stayed alive, the healthy worker's figures and how each
// hostile peer ended.
import { readFileSync } from 'fs'
import { spawnTs, type TsProcess } from '../demos/support/processes'
import { ENGINE_NODE_FLAGS } from '../lib/cli/heap-floor'

export interface HostileOptions {
  readonly seconds: number
  /** Sockets kept half-sent at once. */
  readonly halfSent: number
  /** /otel sockets open at once. */
  readonly otelSockets: number
  /** Registrations the flood sends at most. */
  readonly registrations: number
  /** Rate of the producer's fire-and-forget calls to the frozen consumer, MiB/s. */
  readonly producerMiBps: number
}

export const DEFAULT_HOSTILE: HostileOptions = { seconds: 60, halfSent: 3000, otelSockets: 64, registrations: 4000, producerMiBps: 32 }

export interface HostileResult {
  readonly options: HostileOptions
  readonly engine: { readonly alive: boolean; readonly exit: string; readonly idleRssMiB: number; readonly peakRssMiB: number; readonly log: Record<string, number> }
  readonly healthy: unknown
  readonly peers: Record<string, unknown>
}

/** The engine's resident set, from /proc (Linux), in MiB; undefined once it is gone. */
function rssMiB(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) / 1024
  } catch {
    return undefined
  }
}

async function result(peer: TsProcess, timeoutMs: number): Promise<unknown> {
  try {
    return JSON.parse((await peer.waitForLine(/^RESULT (.*)$/, timeoutMs))[1]) as unknown
  } catch (error) {
    return { failed: (error as Error).message.split('\n')[0] }
  }
}

/** The engine's log lines, grouped by their shape (ids and numbers blanked), most frequent first. */
function logShapes(stderr: string): Record<string, number> {
  const counts = new Map<string, number>()
  for (const line of stderr.split('\n').filter((text) => text.trim() !== '')) {
    const shape = line
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
      .replace(/\d+/g, 'N')
      .replace(/\bflood\.N\.i+/g, 'flood.N.…')
      .slice(0, 160)
    counts.set(shape, (counts.get(shape) ?? 0) + 1)
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, 15))
}

export async function hostileMix(options: HostileOptions): Promise<HostileResult> {
  const { seconds } = options
  // Given its heap floor, the CLI keeps the engine in this one process, whose RSS is sampled.
  const engine = spawnTs('lib/cli/main.ts', ['engine', '--port', '0', '--log-level', 'info'], { nodeFlags: ENGINE_NODE_FLAGS })
  const [, url] = await engine.waitForLine(/listening on (ws:\/\/\S+)/)
  const pid = engine.child.pid as number
  const idleRssMiB = rssMiB(pid) ?? NaN
  let peakRssMiB = idleRssMiB
  const sampler = setInterval(() => (peakRssMiB = Math.max(peakRssMiB, rssMiB(pid) ?? 0)), 100)

  const peer = (name: string, count = 0) => spawnTs(`bench/hostile/${name}.ts`, [url, String(seconds), String(count)])
  const healthy = peer('healthy')
  const frozen = peer('frozen-consumer')
  const [, frozenInfo] = await frozen.waitForLine(/^READY (.*)$/)
  frozen.kill('SIGSTOP')
  const hostile: Record<string, TsProcess> = {
    producer: peer('producer', options.producerMiBps),
    unreadReader: peer('unread-reader'),
    halfSent: peer('half-sent', options.halfSent),
    otelFlood: peer('otel-flood', options.otelSockets),
  }
  const results: Record<string, unknown> = {}
  const everyone = () => [healthy, ...Object.values(hostile)]
  try {
    // The registration flood starts once the others are connected: on an engine without
    // registration limits, the function list it grows can keep a new worker from getting ready.
    await Promise.allSettled(everyone().map((child) => child.waitForLine(/^READY/, 60_000)))
    hostile.registrations = peer('registrations', options.registrations)
    const timeoutMs = (seconds + 60) * 1000
    const [healthyResult, ...hostileResults] = await Promise.all(everyone().map((child) => result(child, timeoutMs)))
    Object.keys(hostile).forEach((name, index) => (results[name] = hostileResults[index]))
    results.healthy = healthyResult

    // Continued, the frozen consumer learns how its connection ended, if it did.
    const since = frozen.lineCount()
    frozen.kill('SIGCONT')
    await frozen.waitForLine(/^LOG /, 5_000, { since }).catch(() => undefined)
    const frozenEnd = frozen.lineCount()
    frozen.kill('SIGTERM')
    const frozenResult = (await result(frozen, 10_000)) as Record<string, unknown>
    const { workerId } = JSON.parse(frozenInfo) as { workerId: string }
    results.frozenConsumer = {
      ...frozenResult,
      linesAfterContinue: frozenEnd - since,
      // Engine lines name a worker by the first 8 digits of its id.
      engineLog: engine.stderr().split('\n').filter((line) => line.includes(workerId.slice(0, 8))).slice(0, 5),
    }
  } finally {
    clearInterval(sampler)
    for (const child of [frozen, ...everyone()]) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  }
  const alive = engine.child.exitCode === null && engine.child.signalCode === null
  engine.kill('SIGTERM')
  const { code, signal } = await engine.exited
  const { healthy: healthyResult, ...peers } = results
  return {
    options,
    engine: {
      alive,
      exit: alive ? `alive at the end; SIGTERM -> exit ${signal ?? code}` : `died before the end (${signal ?? code})`,
      idleRssMiB: Math.round(idleRssMiB * 10) / 10,
      peakRssMiB: Math.round(peakRssMiB * 10) / 10,
      log: logShapes(engine.stderr()),
    },
    healthy: healthyResult,
    peers,
  }
}

export function formatHostile(result: HostileResult): string {
  const { options, engine } = result
  const json = (value: unknown) => JSON.stringify(value)
  return [
    `hostile mix: ${options.seconds} s against one engine process (rx-channels engine, default limits)`,
    `engine: ${engine.exit}; RSS idle ${engine.idleRssMiB} MiB, peak ${engine.peakRssMiB} MiB`,
    `healthy worker: ${json(result.healthy)}`,
    'peer | how it ended',
    '--- | ---',
    ...Object.entries(result.peers).map(([name, outcome]) => `${name} | ${json(outcome)}`),
    'engine log lines, by shape:',
    ...Object.entries(engine.log).map(([shape, count]) => `  ${count} x ${shape}`),
  ].join('\n')
}
