import type { Observer } from 'rxjs'
import type { Logger } from '../log'
import type { ChannelHomes } from './channel-homes'
import type { EngineEvent } from './events'
import type { FunctionRegistry } from './function-registry'
import type { InvocationRouter } from './invocation-router'
import type { InvocationTracing } from './invocation-tracing'
import type { EngineLimits } from './limits'
import { LocalFunctionRegistry } from './local-function-registry'
import { LocalInvocationRouter } from './local-invocation-router'

/** Who owns which function, and how invocations reach their callee: the parts a node of a cluster replaces. */
export interface EngineRouting {
  readonly functions: FunctionRegistry
  readonly invocations: InvocationRouter
  /** Where channels created by other nodes live; absent on an engine on its own. */
  readonly channelHomes?: ChannelHomes
  /** Called once the engine listens at `url` (its own address), before it is handed to its user: a cluster node joins here. */
  start?(url: string): Promise<void>
  /** Called when the engine has closed its sockets (or failed to start): a cluster node leaves and lets go of its connections. */
  close?(): Promise<void>
}

/** What the routing of one engine is made from: its limits, logger, events and clock. */
export interface RoutingContext {
  readonly limits: EngineLimits
  readonly logger: Logger
  /** `engine.events$`, where invocations' ends are told. */
  readonly events: Observer<EngineEvent>
  readonly now: () => number
  /** Spans of forwarded invocations, when the engine exports traces (`otlpEndpoint`). */
  readonly tracing?: InvocationTracing
}

/** Makes the routing of one engine (a cluster node connects to the cluster first). */
export type EngineRoutingFactory = (context: RoutingContext) => EngineRouting | Promise<EngineRouting>

/** An engine on its own: every function is served by one of its own workers. */
export const localRouting = ({ limits, logger, events, now, tracing }: RoutingContext): EngineRouting => ({
  functions: new LocalFunctionRegistry(limits, now),
  invocations: new LocalInvocationRouter(limits.maxPendingInvocationsPerWorker, logger, events, now, tracing),
})
