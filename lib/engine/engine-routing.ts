import type { Logger } from '../log'
import type { ChannelHomes } from './channel-homes'
import type { FunctionRegistry } from './function-registry'
import type { InvocationRouter } from './invocation-router'
import type { EngineLimits } from './limits'
import { LocalFunctionRegistry } from './local-function-registry'
import { LocalInvocationRouter } from './local-invocation-router'

/** Who owns which function, and how invocations reach their callee: the parts a node of a cluster replaces. */
export interface EngineRouting {
  readonly functions: FunctionRegistry
  readonly invocations: InvocationRouter
  /** Where channels created by other nodes live; absent on an engine on its own. */
  readonly channelHomes?: ChannelHomes
}

/** Makes the routing of one engine from its limits, logger and clock. */
export type EngineRoutingFactory = (context: { readonly limits: EngineLimits; readonly logger: Logger; readonly now: () => number }) => EngineRouting

/** An engine on its own: every function is served by one of its own workers. */
export const localRouting: EngineRoutingFactory = ({ limits, logger, now }) => ({
  functions: new LocalFunctionRegistry(limits, now),
  invocations: new LocalInvocationRouter(limits.maxPendingInvocationsPerWorker, logger, now),
})
