export { startEngine, DEFAULT_ENGINE_PORT, type Engine, type EngineOptions, type EngineStats } from './engine'
export type { EngineEvent, SocketEndpoint } from './events'
export { DEFAULT_LIMITS, type EngineLimits } from './limits'
export { DEFAULT_KEY_PREFIX, DEFAULT_NODE_TTL_MS, type ClusterOptions } from './cluster/cluster-options'
