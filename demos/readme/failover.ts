import { registerWorker } from 'rx-channels'

// Tried in this order; after a lost connection, the next URL in turn.
const worker = registerWorker(['ws://10.0.0.1:49134', 'ws://10.0.0.2:49134'])
worker.engineUrl$.subscribe((url) => console.log(url === undefined ? 'reconnecting' : `on ${url}`))
