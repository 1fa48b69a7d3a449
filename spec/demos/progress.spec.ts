import { expect } from 'chai'
import { progressReporter } from '../../demos/support/progress'

/** What a demo wrote, to an output that says whether it is a terminal. */
function capture(isTTY: boolean) {
  const written: string[] = []
  const output = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream
  return { output, written }
}

describe('progressReporter (a demo progress display)', () => {
  const MiB = 1048576

  it('redraws one bar in place on a terminal and ends its line when finished', () => {
    const { output, written } = capture(true)
    const progress = progressReporter(4 * MiB, { output })
    progress.report(1 * MiB, 'sent')
    progress.report(3 * MiB, 'sent')
    progress.finish('sent')
    expect(written).to.deep.equal([
      '\r[########----------------------]  25% 1.0/4.0 MiB, sent',
      '\r[#######################-------]  75% 3.0/4.0 MiB, sent',
      '\r[##############################] 100% 4.0/4.0 MiB, sent\n',
    ])
  })

  it('prints a plain line per quarter elsewhere, whatever the number of reports', () => {
    const { output, written } = capture(false)
    const progress = progressReporter(100 * MiB, { output })
    for (let mib = 1; mib < 100; mib++) progress.report(mib * MiB)
    progress.finish()
    expect(written).to.deep.equal([
      'progress  25% 25.0/100.0 MiB\n',
      'progress  50% 50.0/100.0 MiB\n',
      'progress  75% 75.0/100.0 MiB\n',
      'progress 100% 100.0/100.0 MiB\n',
    ])
  })
})
