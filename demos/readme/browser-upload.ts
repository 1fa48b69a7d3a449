// In a web page, bundled with rx-channels/browser. Browsers cannot set headers: the token travels as ?token=.
import { registerWorker } from 'rx-channels/browser'

const worker = registerWorker('ws://127.0.0.1:49134', { token: 'page-token' })

/** Uploads a file through a channel to a Node worker's `files::hash`, which answers with its SHA-256. */
export async function upload(file: Blob): Promise<string> {
  const { writer, readerRef } = await worker.createChannel()
  const hashed = worker.trigger<{ sha256: string }>({ function_id: 'files::hash', payload: { file: readerRef } })
  // The writable's backpressure follows the socket's bufferedAmount: the page holds about 1 MiB.
  await file.stream().pipeTo(writer.writable)
  return (await hashed).sha256
}
