import { expect } from 'chai'
import { firstValueFrom } from 'rxjs'
import { ChannelError, ChannelReader, ConnectionError } from '../../lib'
import { openSocket } from '../../lib/socket/connect'
import { closedPort } from '../support/tcp'

const failure = (url: string) =>
  firstValueFrom(openSocket(url)).then(
    () => {
      throw new Error(`${url} opened`)
    },
    (error: ConnectionError) => error,
  )

describe('openSocket failures', () => {
  it('errors with a ConnectionError coded by what failed, with the error Node reported as cause', async () => {
    const refused = await failure(`ws://127.0.0.1:${await closedPort()}`)
    expect(refused).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
    expect(refused.message).to.match(/^connection refused \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/)
    expect(refused.cause).to.include({ code: 'ECONNREFUSED' })

    const unresolved = await failure('ws://no-such-host.invalid:1')
    expect(unresolved).to.include({ code: 'dns_lookup_failed' })
    expect((unresolved.cause as NodeJS.ErrnoException).code).to.be.oneOf(['ENOTFOUND', 'EAI_AGAIN'])

    const invalid = await failure('ftp://127.0.0.1/?token=secret-value')
    expect(invalid).to.include({ code: 'invalid_url' })
    expect(invalid.message).to.contain('cannot connect to ftp://127.0.0.1/?token=***').and.not.contain('secret-value')
  })

  it('gives a channel end that cannot connect a ChannelError whose cause names the refused connection', async () => {
    const reader = new ChannelReader(
      { channel_id: 'unreachable', access_key: 'key', direction: 'read' },
      { engineUrl: `ws://127.0.0.1:${await closedPort()}` },
    )
    const error = await reader.readAll().then(
      () => undefined,
      (failed: ChannelError) => failed,
    )
    expect(error).to.be.instanceOf(ChannelError).and.include({ code: 'channel_closed' })
    expect(error?.message).to.contain('connection refused')
    expect(error?.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
  })
})
