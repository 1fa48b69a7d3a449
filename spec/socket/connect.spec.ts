import { expect } from 'chai'
import { once } from 'events'
import WebSocket from 'ws'
import { RxChannelsError } from '../../lib'
import { tcpSocketOf } from '../../lib/socket/connect'

describe('tcpSocketOf', () => {
  it('throws a coded RxChannelsError for a socket that openSocket did not open', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1')
    const failed = once(ws, 'error').catch(() => undefined)
    try {
      expect(() => tcpSocketOf(ws)).to.throw(RxChannelsError).with.property('code', 'invalid_argument')
    } finally {
      ws.terminate()
      await failed
    }
  })
})
