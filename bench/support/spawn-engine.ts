import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'

/**
 * Starts an engine process with the V8 flags the `rx-channels engine` command runs it with;
 * `script` prints `ENGINE <url>` once it listens.
 */
export async function spawnEngineProcess(script = 'bench/support/engine.ts', args: readonly string[] = []): Promise<{ engine: TsProcess; url: string }> {
  const engine = spawnTs(script, args, { nodeFlags: ENGINE_NODE_FLAGS })
  const [, url] = await engine.waitForLine(/^ENGINE (\S+)/)
  return { engine, url }
}
