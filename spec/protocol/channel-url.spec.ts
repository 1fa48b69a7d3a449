import { expect } from 'chai'
import * as E from 'fp-ts/Either'
import { CHANNEL_PATH_PREFIX, channelUrl, parseChannelRequest, type ChannelRequest, type ChannelRequestError } from '../../lib/protocol/channel-url'
import type { StreamChannelRef } from '../../lib/protocol/refs'

const ENGINE = 'ws://127.0.0.1:49134'

function parsed(url: string): ChannelRequest {
  const result = parseChannelRequest(new URL(url))
  if (E.isLeft(result)) expect.fail(`expected ${url} to parse, got ${JSON.stringify(result.left)}`)
  return result.right
}

function refused(url: string): ChannelRequestError {
  const result = parseChannelRequest(new URL(url))
  if (E.isRight(result)) expect.fail(`expected ${url} to be refused, got ${JSON.stringify(result.right)}`)
  return result.left
}

/** What the engine should recover from the URL a channel end connects to. */
function requestOf(ref: StreamChannelRef): ChannelRequest {
  return { channelId: ref.channel_id, key: ref.access_key, direction: ref.direction }
}

describe('channelUrl', () => {
  it('builds ws://host:port/ws/channels/{id}?key=..&dir=..', () => {
    const url = channelUrl(ENGINE, { channel_id: 'c-1', access_key: 'k1', direction: 'read' })
    expect(url).to.equal('ws://127.0.0.1:49134/ws/channels/c-1?key=k1&dir=read')
  })

  it('drops trailing slashes of the engine URL instead of doubling them', () => {
    const ref: StreamChannelRef = { channel_id: 'c-1', access_key: 'k1', direction: 'write' }
    const expected = 'ws://127.0.0.1:49134/ws/channels/c-1?key=k1&dir=write'
    expect(channelUrl(`${ENGINE}/`, ref)).to.equal(expected)
    expect(channelUrl(`${ENGINE}///`, ref)).to.equal(expected)
  })

  it('percent-encodes key characters that mean something in a query (+ / = &)', () => {
    const url = channelUrl(ENGINE, { channel_id: 'c-1', access_key: 'a+b/c=d&e', direction: 'read' })
    expect(url).to.equal('ws://127.0.0.1:49134/ws/channels/c-1?key=a%2Bb%2Fc%3Dd%26e&dir=read')
  })
})

describe('parseChannelRequest', () => {
  describe('round trip through channelUrl', () => {
    const refs: StreamChannelRef[] = [
      { channel_id: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', access_key: 'f3a9c0de', direction: 'read' },
      { channel_id: 'c-1', access_key: 'k1', direction: 'write' },
      // base64 keys contain + / =, which a query would otherwise read as space, separator and assignment.
      { channel_id: 'c-2', access_key: 'q+Z/9w==', direction: 'read' },
      { channel_id: 'c-3', access_key: 'a&dir=write', direction: 'read' },
      { channel_id: 'c-4', access_key: 'key with spaces%20and percent', direction: 'write' },
      // A slash or ? inside the id stays in one encoded path segment.
      { channel_id: 'a/b?c#d', access_key: 'k', direction: 'write' },
      { channel_id: 'ümlaut ✓', access_key: 'ключ', direction: 'read' },
    ]
    for (const ref of refs) {
      it(`recovers ${JSON.stringify(ref)}`, () => {
        expect(parsed(channelUrl(ENGINE, ref))).to.deep.equal(requestOf(ref))
      })
    }

    it('recovers the ref when the engine URL ends with a slash', () => {
      const ref: StreamChannelRef = { channel_id: 'c-5', access_key: 'x=y', direction: 'write' }
      const url = new URL(channelUrl(`${ENGINE}/`, ref))
      expect(url.pathname).to.equal(`${CHANNEL_PATH_PREFIX}c-5`)
      expect(parsed(url.href)).to.deep.equal(requestOf(ref))
    })
  })

  describe('refuses with 400', () => {
    const cases: Array<[string, string, string]> = [
      ['an empty channel id', `${ENGINE}/ws/channels/?key=k&dir=read`, 'malformed channel id'],
      ['a channel id with a raw slash', `${ENGINE}/ws/channels/a/b?key=k&dir=read`, 'malformed channel id'],
      ['a channel id with a trailing slash', `${ENGINE}/ws/channels/c-1/?key=k&dir=read`, 'malformed channel id'],
      ['malformed percent-encoding in the channel id', `${ENGINE}/ws/channels/%E0%A4%A?key=k&dir=read`, 'malformed channel id'],
      ['a lone percent sign in the channel id', `${ENGINE}/ws/channels/100%?key=k&dir=read`, 'malformed channel id'],
      ['a missing key', `${ENGINE}/ws/channels/c-1?dir=read`, 'missing key'],
      ['an empty key', `${ENGINE}/ws/channels/c-1?key=&dir=read`, 'missing key'],
      ['a missing dir', `${ENGINE}/ws/channels/c-1?key=k`, 'dir must be "read" or "write"'],
      ['an empty dir', `${ENGINE}/ws/channels/c-1?key=k&dir=`, 'dir must be "read" or "write"'],
      ['an unknown dir', `${ENGINE}/ws/channels/c-1?key=k&dir=both`, 'dir must be "read" or "write"'],
      ['a dir in the wrong case', `${ENGINE}/ws/channels/c-1?key=k&dir=READ`, 'dir must be "read" or "write"'],
    ]
    for (const [what, url, reason] of cases) {
      it(`${what}: ${reason}`, () => {
        expect(refused(url)).to.deep.equal({ status: 400, reason })
      })
    }
  })
})
