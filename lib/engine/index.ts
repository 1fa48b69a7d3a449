export { startEngine, DEFAULT_ENGINE_PORT, type Engine, type EngineOptions, type EngineStats } from './engine'
export type { EngineEvent, SocketEndpoint } from './events'
export { DEFAULT_LIMITS, type EngineLimits } from './limits'
export { originPolicy } from './origins'
