// The demo page's script, as the browser loads it (plain JS: the project's types leave out the DOM).
import { registerWorker } from '/rx-channels-browser.js'

const MiB = 1024 * 1024
const $ = (id) => document.getElementById(id)
const mib = (bytes) => (bytes / MiB).toFixed(1)

const engine = new URLSearchParams(location.search).get('engine') ?? 'ws://127.0.0.1:49134'
const worker = registerWorker(engine, { workerName: 'browser demo page' })
worker.ready().then(
  () => ($('connection').textContent = `connected to ${engine} as worker ${worker.workerId}`),
  (error) => ($('connection').textContent = `not connected: ${error.message}`),
)

function show(section, state, text) {
  $(`${section}-status`).textContent = text
  document.body.dataset[section] = state
}

// The file goes through one channel; the worker's progress comes back on another.
$('upload').onclick = async () => {
  const file = $('file').files[0]
  if (!file) return show('upload', 'idle', 'pick a file first')
  const data = await worker.createChannel()
  const progress = await worker.createChannel()
  progress.reader.messages$.subscribe((text) => {
    const { bytes, size, sha256 } = JSON.parse(text)
    $('upload-bar').value = size === 0 ? 1 : bytes / size
    show('upload', sha256 ? 'done' : 'running', sha256 ? `${mib(bytes)} MiB, SHA-256 ${sha256}` : `${mib(bytes)} of ${mib(size)} MiB hashed`)
  })
  const hashed = worker.trigger({ function_id: 'files.hash', payload: { file: data.readerRef, progress: progress.writerRef, size: file.size }, timeoutMs: 3_600_000 })
  try {
    await file.stream().pipeTo(data.writer.writable)
    await hashed
  } catch (error) {
    show('upload', 'failed', `failed: ${error.message}`)
  }
}

// Read as fast as the page takes it: the reader grants the engine credit as it consumes.
$('download').onclick = async () => {
  const bytes = Number($('size').value) * MiB
  const channel = await worker.createChannel()
  const generated = worker.trigger({ function_id: 'files.generate', payload: { out: channel.writerRef, bytes }, timeoutMs: 3_600_000 })
  const reader = channel.reader.readable.getReader()
  let received = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      received += value.length
      $('download-bar').value = received / bytes
      show('download', 'running', `${mib(received)} of ${mib(bytes)} MiB received`)
    }
    await generated
    show('download', 'done', `${mib(received)} MiB received, ${received === bytes ? 'complete' : 'INCOMPLETE'}`)
  } catch (error) {
    show('download', 'failed', `failed: ${error.message}`)
  }
}
