import type { Subject } from 'rxjs'
import type { Logger } from '../log'
import type { ChannelProxies } from './channel-proxies'
import type { ChannelRegistry } from './channels'
import type { EngineEvent } from './events'
import type { FunctionRegistry } from './function-registry'
import type { InvocationRouter } from './invocation-router'
import type { EngineLimits } from './limits'
import type { OpenSockets } from './open-sockets'
import type { WorkerConnection } from './worker-connection'

/** What the parts of one running engine share. */
export interface EngineState {
  readonly limits: EngineLimits
  readonly logger: Logger
  /** `engine.events$`; completed when the engine has shut down. */
  readonly events: Subject<EngineEvent>
  readonly channels: ChannelRegistry
  /** Channel ends this node proxies to the nodes their channels live on. */
  readonly proxies: ChannelProxies
  readonly functions: FunctionRegistry
  readonly invocations: InvocationRouter
  /** Connected workers by id. */
  readonly workers: Map<string, WorkerConnection>
  readonly sockets: OpenSockets
}
