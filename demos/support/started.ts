import type { TsProcess } from './processes'
import type { OwnRedis } from './redis-server'

/**
 * Everything a demo or bench starts, stopped once however it ends: workers first, then engines,
 * then Redis. Whatever is started after the stop began is stopped at once.
 */
export class Started {
  private readonly workers: TsProcess[] = []
  private readonly engines: TsProcess[] = []
  private redis?: OwnRedis
  private stopping?: Promise<void>

  worker(child: TsProcess): TsProcess {
    if (this.stopping) child.kill('SIGKILL')
    this.workers.push(child)
    return child
  }

  engine(child: TsProcess): TsProcess {
    if (this.stopping) child.kill('SIGKILL')
    this.engines.push(child)
    return child
  }

  ownRedis(redis: OwnRedis): OwnRedis {
    if (this.stopping) void redis.stop()
    this.redis = redis
    return redis
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.workers.map((child) => child.stop()))
      await Promise.all(this.engines.map((child) => child.stop()))
      await this.redis?.stop()
    })()
    return this.stopping
  }
}
