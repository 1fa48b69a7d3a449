import { expect } from 'chai'
import { lastValueFrom, take, timeout, toArray } from 'rxjs'
import WebSocket from 'ws'
import { tcpSocketOf } from '../../lib/socket/connect'
import { binaryFrame, textFrame } from '../../lib/socket/frame'
import { MaskedFrames, POOLED_FRAME_MIN_BYTES } from '../../lib/socket/masked-frames'
import { FrameSender } from '../../lib/socket/sender'
import { useReceivingServer } from '../support/receiving-server'

describe('MaskedFrames', () => {
  const peer = useReceivingServer()
  let client: WebSocket
  const { received, receivedAll } = peer

  beforeEach(() => {
    client = peer.client()
  })

  it('delivers large frames intact and in order among ws frames, though the caller reuses its buffer at once', async () => {
    const socket = tcpSocketOf(client)
    const sender = new FrameSender(client, socket, new MaskedFrames(client, socket))
    const written = lastValueFrom(sender.written$.pipe(take(41), toArray(), timeout(5_000)))
    const reused = Buffer.alloc(64 * 1024)
    const expected: Buffer[] = []
    for (let index = 0; index < 40; index++) {
      const size = index % 2 === 0 ? 64 * 1024 : POOLED_FRAME_MIN_BYTES
      for (let at = 0; at < size; at++) reused[at] = (at * 7 + index) & 0xff
      expected.push(Buffer.from(reused.subarray(0, size)))
      sender.next(binaryFrame(reused.subarray(0, size)))
      // ws sends a small frame itself: it must land between the pooled ones, in order.
      if (index === 20) sender.next(textFrame('between'))
    }
    await receivedAll(41)
    const binaries = received().filter((frame) => frame.binary).map((frame) => frame.data)
    expect(binaries).to.have.length(40)
    binaries.forEach((data, index) => expect(data.equals(expected[index]), `frame ${index}`).to.equal(true))
    expect(received()[21]).to.deep.equal({ data: Buffer.from('between'), binary: false })
    expect(await written).to.have.length(41)
    expect(sender.inflightBytes).to.equal(0)
  })

  it('leaves small frames, text and a socket no longer open to ws', () => {
    const socket = tcpSocketOf(client)
    const masked = new MaskedFrames(client, socket)
    expect(masked.takes(Buffer.alloc(64 * 1024), true)).to.equal(true)
    expect(masked.takes(Buffer.alloc(POOLED_FRAME_MIN_BYTES - 1), true)).to.equal(false)
    expect(masked.takes(Buffer.alloc(64 * 1024 + 1), true)).to.equal(false)
    expect(masked.takes(Buffer.alloc(64 * 1024), false)).to.equal(false)
    client.close()
    expect(masked.takes(Buffer.alloc(64 * 1024), true)).to.equal(false)
  })
})
