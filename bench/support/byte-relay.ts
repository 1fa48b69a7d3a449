import { spawnSync } from 'child_process'
import { spawnCommand, spawnTs, type TsProcess } from '../../demos/support/processes'

/**
 * Relays that forward one connection's bytes unchanged, parsing no frame: the cost of a third
 * process and a second pair of sockets alone, below what any ws relay (which must at least
 * unmask and reframe) can reach. `node` is the floor for a relay written in Node; `socat`
 * (native code, run only where installed) is the floor for any process.
 */
export type ByteRelayKind = 'node' | 'socat'

export const BYTE_RELAY_NAMES: Record<ByteRelayKind, string> = {
  node: 'TCP byte relay in Node (no ws parsing)',
  socat: 'socat TCP byte relay (native, no ws parsing)',
}

/** The byte relays this machine can run: socat only where it is on the PATH. */
export function byteRelayKinds(): ByteRelayKind[] {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0 ? ['node', 'socat'] : ['node']
}

/** A relay process in front of one server, for one client connection. */
export interface Relay {
  readonly relay: TsProcess
  readonly port: number
  /** Resolves, once the relayed client has gone, with the CPU seconds the relay spent on it. */
  cpuSeconds(): Promise<number>
}

/** Starts a relay script that prints `PORT n` once it listens and `CPU s` once its client has gone. */
export async function startScriptRelay(script: string, args: readonly string[]): Promise<Relay> {
  const relay = spawnTs(script, args)
  const [, port] = await relay.waitForLine(/^PORT (\d+)/)
  return { relay, port: Number(port), cpuSeconds: async () => Number((await relay.waitForLine(/^CPU (\S+)/, 10 * 60_000))[1]) }
}

/** A byte relay of `kind` in front of the server on `upstreamPort`, for one client connection. */
export async function startByteRelay(kind: ByteRelayKind, upstreamPort: number): Promise<Relay> {
  if (kind === 'node') return startScriptRelay('bench/support/tcp-relay.ts', [String(upstreamPort)])
  // socat serves one connection and exits; the shell's `times` then prints its own CPU times and,
  // on the second line, its children's: socat's. The shell passes a stop on to socat, so that an
  // aborted run leaves no listener behind. 256 KiB buffers, as its default 8 KiB would cost a
  // system call per 8 KiB.
  const socat = [
    `socat -d -d -b 262144 TCP-LISTEN:0,bind=127.0.0.1,nodelay TCP:127.0.0.1:${upstreamPort},nodelay &`,
    'relay=$!',
    'trap \'kill $relay\' INT TERM',
    // A trapped signal ends the first wait early; the second reaps socat.
    'wait $relay; wait $relay',
    'times',
  ].join('\n')
  const relay = spawnCommand('sh', ['-c', socat], { label: 'socat' })
  const [, port] = await relay.waitForLine(/listening on AF=2 127\.0\.0\.1:(\d+)/, 30_000, { stream: 'stderr' })
  return {
    relay,
    port: Number(port),
    cpuSeconds: async () => {
      await relay.exited
      const [user, system] = [...relay.stdout().split('\n')[1].matchAll(/(\d+)m([\d.]+)s/g)].map(([, minutes, seconds]) => Number(minutes) * 60 + Number(seconds))
      return user + system
    },
  }
}
