import { startEngine } from 'rx-channels'

const engine = await startEngine({ port: 0 })
console.log(engine.url, engine.stats()) // ws://127.0.0.1:PORT { workers, functions, channels, heldFrames, heldBytes, ... }
engine.events$.subscribe((event) => console.log(event.type)) // worker_connected, channel_created, writer_paused, ...
await engine.close()
