import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { get } from 'http'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { Writable } from 'stream'
import { pipeline } from 'stream/promises'
import { ChannelError, openChannelEnd, type ChannelReader, type ChannelWriter, type EngineStats } from '../../lib'
import { useRedisCluster, type ClusterEngine } from '../support/cluster'
import { digestChannel, produceRandom } from '../support/transfer'
import { useWorkers } from '../support/workers'

const KiB = 1024
const MiB = 1024 * KiB
/** Small bounds, so that a slow reader reaches them with little data in flight. */
const HELD_PER_CHANNEL = MiB
const PROXY_BYTES = 256 * KiB

/** An engine's stats as its `GET /health` answers them. */
function health(engineUrl: string): Promise<EngineStats> {
  const url = `${engineUrl.replace(/^ws/, 'http').replace(/\/$/, '')}/health`
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (part: string) => (body += part))
      response.on('end', () => resolve(JSON.parse(body) as EngineStats))
    }).on('error', reject)
  })
}

/** How a channel end finished: 'completed' for a clean end, else the error it failed with. */
function outcomeOf(finished: Promise<unknown>): Promise<string | ChannelError> {
  return finished.then(
    () => 'completed',
    (error: ChannelError) => error,
  )
}

/**
 * A reader that takes its first `slowBytes` at `bytesPerSecond`, then as fast as it can; it
 * hashes what it took and tells, as it goes, how many bytes that is.
 */
function slowThenFastSink(slowBytes: number, bytesPerSecond: number, onTaken: (bytes: number) => void): Writable & { readonly sha256: () => string } {
  const hash = createHash('sha256')
  let taken = 0
  const sink = new Writable({
    highWaterMark: 0,
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      const wasSlow = taken < slowBytes
      taken += chunk.length
      onTaken(taken)
      if (wasSlow) setTimeout(callback, (chunk.length / bytesPerSecond) * 1000)
      else callback()
    },
  })
  return Object.assign(sink, { sha256: () => hash.digest('hex') })
}

/** Writes until the writer fails or is ended: the stream is in flight whenever a node dies. */
async function writeUntilStopped(writer: ChannelWriter, stopped: Promise<unknown>): Promise<void> {
  writer.stream.on('error', () => undefined)
  const chunk = Buffer.alloc(64 * KiB, 7)
  while (!writer.stream.destroyed && !writer.stream.writableEnded) {
    if (!writer.stream.write(chunk)) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), stopped])
  }
}

describe('channels across a cluster on a real Redis (Redis and each engine their own process)', function () {
  this.timeout(60_000)
  const worker = useWorkers()
  const { startNodes, stopAll, redis } = useRedisCluster()

  describe('three live nodes', () => {
    let a: ClusterEngine
    let b: ClusterEngine
    let c: ClusterEngine
    before(async () => {
      const limits = ['--max-held-bytes-per-channel', String(HELD_PER_CHANNEL), '--max-proxy-bytes-per-end', String(PROXY_BYTES)]
      ;[a, b, c] = await startNodes(['ch-a', 'ch-b', 'ch-c'], limits)
    })
    after(stopAll)

    it('carries a channel created on A, written from B and read on C: 32 MiB of random bytes intact (SHA-256), text messages in order', async () => {
      const { writerRef, readerRef } = await (await worker(a.url)).createChannel()
      expect(writerRef.channel_id).to.contain('ch-a')
      const writer = openChannelEnd(writerRef, { engineUrl: b.url }) as ChannelWriter
      const reader = openChannelEnd(readerRef, { engineUrl: c.url }) as ChannelReader
      const [sent, received] = await Promise.all([produceRandom(writer, 32), digestChannel(reader)])
      expect(received).to.deep.equal(sent)
      expect(received.bytes).to.equal(32 * MiB)
    })

    it('holds a bounded number of bytes on every node while a reader on C reads slowly what a writer on B pushes, then delivers it all', async () => {
      const { writerRef, readerRef } = await (await worker(a.url)).createChannel()
      const writer = openChannelEnd(writerRef, { engineUrl: b.url }) as ChannelWriter
      const reader = openChannelEnd(readerRef, { engineUrl: c.url }) as ChannelReader
      // Four loopback hops can hold tens of MiB in kernel buffers (tcp_rmem up to 32 MiB each): the
      // total must exceed them by far for 'written ahead' to tell a paced writer from an unpaced one.
      const total = 160 * MiB
      const slowBytes = 12 * MiB
      let readBytes = 0
      let writtenBytes = 0
      /** Bytes written but not yet read while the reader was slow, at most. */
      let inFlightWhileSlow = 0
      const sink = slowThenFastSink(slowBytes, 4 * MiB, (bytes) => {
        readBytes = bytes
        if (bytes <= slowBytes) inFlightWhileSlow = Math.max(inFlightWhileSlow, writtenBytes - readBytes)
      })

      const peaks = { a: 0, b: 0, c: 0 }
      let sampling = true
      const sampled = (async () => {
        while (sampling) {
          const [onA, onB, onC] = await Promise.all([a, b, c].map((node) => health(node.url)))
          peaks.a = Math.max(peaks.a, onA.heldBytes + onA.proxiedBytes)
          peaks.b = Math.max(peaks.b, onB.heldBytes + onB.proxiedBytes)
          peaks.c = Math.max(peaks.c, onC.heldBytes + onC.proxiedBytes)
        }
      })()

      const sent = createHash('sha256')
      const writing = (async () => {
        while (writtenBytes < total) {
          const chunk = randomBytes(64 * KiB)
          sent.update(chunk)
          writtenBytes += chunk.length
          if (!writer.stream.write(chunk)) await new Promise((resolve) => writer.stream.once('drain', resolve))
        }
        await new Promise<void>((resolve) => writer.stream.end(resolve))
      })()
      await Promise.all([writing, pipeline(reader.stream, sink)])
      sampling = false
      await sampled

      expect(readBytes).to.equal(total)
      expect(sink.sha256()).to.equal(sent.digest('hex'))
      // The home holds one channel's bound (plus frames read before its writer paused); each proxy its bound both ways.
      expect(peaks.a, 'bytes held on A, the home').to.be.at.most(HELD_PER_CHANNEL + 512 * KiB)
      expect(peaks.b, 'bytes held on B, proxying the writer').to.be.at.most(2 * PROXY_BYTES + 256 * KiB)
      expect(peaks.c, 'bytes held on C, proxying the reader').to.be.at.most(2 * PROXY_BYTES + 256 * KiB)
      // The reader's pace reached the home and the writer: neither ran ahead without bound.
      expect(peaks.a, 'bytes held on A, the home').to.be.at.least(HELD_PER_CHANNEL / 2)
      expect(inFlightWhileSlow, 'bytes written ahead of the slow reader').to.be.below(total - slowBytes)
    })
  })

  describe('a node killed mid-stream', () => {
    after(stopAll)

    it('fails the ends of channels homed on it and of channels proxied through it with coded errors, never a clean short end', async () => {
      const [a, b, doomed] = await startNodes(['kill-ch-a', 'kill-ch-b', 'kill-ch-k'])
      const streams: Array<{ what: string; reader: Promise<string | ChannelError>; writer: Promise<string | ChannelError>; writing: Promise<void> }> = []
      const firstChunks: Array<Promise<void>> = []
      /** A channel created on `home`, its writer connected to `writeVia`, its reader to `readVia`, streaming. */
      const stream = async (what: string, home: ClusterEngine, writeVia: ClusterEngine, readVia: ClusterEngine) => {
        const { writerRef, readerRef } = await (await worker(home.url)).createChannel()
        const writer = openChannelEnd(writerRef, { engineUrl: writeVia.url }) as ChannelWriter
        const reader = openChannelEnd(readerRef, { engineUrl: readVia.url }) as ChannelReader
        let streaming!: () => void
        firstChunks.push(new Promise<void>((resolve) => (streaming = resolve)))
        const written = outcomeOf(lastValueFrom(writer.closed$, { defaultValue: undefined }))
        const read = outcomeOf(lastValueFrom(reader.chunks$.pipe(tap(() => streaming()), toArray())))
        streams.push({ what, reader: read, writer: written, writing: writeUntilStopped(writer, written) })
      }
      await stream('homed on the killed node, both ends proxied to it', doomed, a, b)
      await stream('writer proxied through the killed node', a, doomed, b)
      await stream('reader proxied through the killed node', a, b, doomed)
      await Promise.all(firstChunks)

      doomed.process.kill('SIGKILL')
      const seen: Record<string, Record<string, string>> = {}
      for (const { what, reader, writer, writing } of streams) {
        const ends = { reader: await reader, writer: await writer }
        await writing
        seen[what] = Object.fromEntries(Object.entries(ends).map(([end, outcome]) => [end, outcome instanceof ChannelError ? outcome.code : `not a coded error: ${String(outcome)}`]))
      }
      expect(seen).to.deep.equal({
        'homed on the killed node, both ends proxied to it': { reader: 'writer_aborted', writer: 'writer_aborted' },
        'writer proxied through the killed node': { reader: 'writer_aborted', writer: 'channel_closed' },
        'reader proxied through the killed node': { reader: 'channel_closed', writer: 'reader_gone' },
      })
    })
  })

  describe('Redis killed mid-stream', () => {
    after(stopAll)

    it('keeps a channel across nodes flowing while Redis is down, however many node TTLs pass: every byte intact, a clean end', async () => {
      const [a, b, c] = await startNodes(['rk-a', 'rk-b', 'rk-c'])
      const { writerRef, readerRef } = await (await worker(a.url)).createChannel()
      const writer = openChannelEnd(writerRef, { engineUrl: b.url }) as ChannelWriter
      const reader = openChannelEnd(readerRef, { engineUrl: c.url }) as ChannelReader
      const total = 8 * MiB
      let killed: Promise<void> | undefined
      // Paced at 2 MiB/s, the stream outlasts the outage by more than two node TTLs (1.5 s each): long
      // enough for a node that counted its peers dead without Redis to close the ends it proxies.
      const sink = slowThenFastSink(total, 2 * MiB, (taken) => {
        if (taken >= MiB) killed ??= redis().kill()
      })
      const sent = createHash('sha256')
      const writing = (async () => {
        for (let written = 0; written < total; written += 64 * KiB) {
          const chunk = randomBytes(64 * KiB)
          sent.update(chunk)
          if (!writer.stream.write(chunk)) await new Promise((resolve) => writer.stream.once('drain', resolve))
        }
        await new Promise<void>((resolve) => writer.stream.end(resolve))
      })()
      await Promise.all([writing, pipeline(reader.stream, sink)])
      expect(killed, 'Redis killed mid-stream').to.not.equal(undefined)
      await killed
      expect(sink.sha256()).to.equal(sent.digest('hex'))
    })
  })
})
