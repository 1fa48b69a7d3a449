// `npm start [-- [--verbose] [NAME ...]]`: an embedded engine, and each demo as worker processes
// of its own (the cluster demo starts its own Redis and engines), reported in a line or two each
// and a pass count. Exits non-zero if a demo failed; one that cannot run here is not a failure.
import * as t from 'io-ts'
import { startEngine } from '../lib'
import { interruptedBy, onInterrupt } from './support/interrupt'
import { Report } from './support/report'
import { REDIS_INSTALL_HINT, redisServerFound } from './support/redis-server'
import { DemoRunner, type Demo, type Outcome, type Verdict } from './support/runner'
import { scratchDir } from './support/scratch'

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
const FILE_MIB = 256

const Summary = t.type({ label: t.string, count: t.number, sum: t.number, average: t.number })
const Bidirectional = t.type({
  messages: t.array(t.type({ type: t.string })),
  binaryResult: t.string,
  workerResult: t.type({ chunks: t.number, bytes: t.number, words: t.number }),
})
const Pipeline = t.type({ records: t.number, transformed: t.number, outputLines: t.number, bytesIn: t.number, bytesOut: t.number, progressReports: t.number })
const Transfer = t.type({ bytes: t.number, intact: t.boolean, mibPerSecond: t.number })
const BrowserCheck = t.type({ pageServed: t.boolean, uploaded: t.number, intact: t.boolean, progressMessages: t.number, downloaded: t.number })
const BROWSER_CHECK_MIB = 32
const CLUSTER_MIB = 64
const Cluster = t.type({
  where: t.string,
  shout: t.string,
  transfer: Transfer,
  killed: t.type({ channel: t.string, calls: t.array(t.string), stoppedAfterMs: t.number, movedTo: t.string }),
})

const judgeBidirectional = judged(Bidirectional, ({ messages, binaryResult, workerResult: { chunks, bytes, words } }) => {
  const progress = messages.filter((message) => message.type === 'progress').length
  return {
    passed: binaryResult === TEXT.toUpperCase() && progress === chunks && messages[messages.length - 1]?.type === 'complete',
    summary: `${chunks} chunks (${bytes} bytes) in; ${progress} progress messages, complete, ${words} words back upper-cased`,
  }
})

const DEMOS: readonly Demo[] = [
  {
    name: 'one-way',
    title: 'One-way channel: data.sender streams 1000 JSON records to data.processor',
    callee: 'demos/one-way/processor.ts',
    caller: 'demos/one-way/sender.ts',
    judge: judged(Summary, ({ count, sum, average }) => ({
      passed: count === 1000 && sum === 500500,
      summary: `${count} records summarized: sum ${sum}, average ${average}`,
    })),
  },
  {
    name: 'bidirectional',
    title: 'Bidirectional channels: stream.coordinator sends text, stream.worker answers with progress and the result',
    callee: 'demos/bidirectional/worker.ts',
    caller: 'demos/bidirectional/coordinator.ts',
    judge: judgeBidirectional,
  },
  {
    name: 'iii-sdk',
    title: 'The same with official iii-sdk workers, unchanged, on this engine',
    callee: 'demos/iii-sdk/bidirectional-worker.ts',
    caller: 'demos/iii-sdk/bidirectional-coordinator.ts',
    judge: judgeBidirectional,
  },
  {
    name: 'pipeline',
    title: 'RxJS pipeline: file -> channel -> NDJSON transform in another process -> channel -> file',
    callee: 'demos/pipeline/transformer.ts',
    caller: 'demos/pipeline/run.ts',
    callerArgs: ['--size', '32'],
    judge: judged(Pipeline, ({ records, transformed, outputLines, bytesIn, bytesOut, progressReports }) => ({
      passed: transformed === records && outputLines === records,
      summary: `${records} records transformed, ${mib(bytesIn)} MiB in, ${mib(bytesOut)} MiB out, ${progressReports} progress messages`,
    })),
  },
  {
    name: 'file-transfer',
    title: `File transfer: ${FILE_MIB} MiB of random bytes through one channel`,
    callee: 'demos/file-transfer/receiver.ts',
    caller: 'demos/file-transfer/sender.ts',
    callerArgs: ['--size', String(FILE_MIB)],
    judge: judged(Transfer, ({ bytes, intact, mibPerSecond }) => ({
      passed: intact && bytes === FILE_MIB * 1048576,
      summary: `${mib(bytes)} MiB ${intact ? 'intact (size and sha256 match)' : 'CORRUPTED'}, ${mibPerSecond} MiB/s`,
    })),
  },
  {
    name: 'browser',
    title: 'In the browser: a page uploads a file to be hashed, with live progress, and downloads a generated stream',
    callee: 'demos/browser/server.ts',
    caller: 'demos/browser/check.ts',
    callerArgs: ['--size', String(BROWSER_CHECK_MIB)],
    announce: /page at (\S+)/,
    judge: judged(BrowserCheck, ({ pageServed, uploaded, intact, progressMessages, downloaded }) => ({
      passed: pageServed && intact && uploaded === BROWSER_CHECK_MIB * 1048576 && downloaded === uploaded,
      summary: `page served; its Node side checked: ${mib(uploaded)} MiB hashed ${intact ? 'intact' : 'CORRUPTED'} with ${progressMessages} progress messages, ${mib(downloaded)} MiB generated`,
    })),
  },
  {
    name: 'cluster',
    title: `Cluster: Redis and three engines of its own, calls and ${CLUSTER_MIB} MiB across nodes, then a node SIGKILLed`,
    caller: 'demos/cluster/run.ts',
    callerArgs: ['--size', String(CLUSTER_MIB)],
    ownEngines: true,
    unavailable: () => (redisServerFound() ? undefined : `redis-server not found on PATH; to run it: ${REDIS_INSTALL_HINT}`),
    judge: judged(Cluster, ({ where, shout, transfer, killed }) => ({
      passed:
        where === 'b' &&
        shout === 'HELLO FROM A' &&
        transfer.intact &&
        transfer.bytes === CLUSTER_MIB * 1048576 &&
        killed.channel === 'writer_aborted' &&
        killed.calls.every((code) => code === 'invocation_stopped') &&
        killed.movedTo === 'c',
      summary: `calls across nodes, ${mib(transfer.bytes)} MiB a->b->c ${transfer.intact ? 'intact' : 'CORRUPTED'}; node b killed: channel ${killed.channel}, ${killed.calls.length} calls ${[...new Set(killed.calls)].join(', ')}, worker moved to ${killed.movedTo}`,
    })),
  },
]

/** A judge that first checks the result's shape, so a wrong result fails instead of throwing. */
function judged<A>(codec: t.Type<A>, judge: (result: A) => Verdict): (result: unknown) => Verdict {
  return (result) => (codec.is(result) ? judge(result) : { passed: false, summary: `unexpected result ${JSON.stringify(result).slice(0, 300)}` })
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1)
}

function selectedDemos(names: readonly string[]): readonly Demo[] {
  const unknown = names.filter((name) => !DEMOS.some((demo) => demo.name === name))
  if (unknown.length > 0) {
    console.error(`unknown demo ${unknown.join(', ')}; the demos are ${DEMOS.map((demo) => demo.name).join(', ')}`)
    process.exit(2)
  }
  return names.length === 0 ? DEMOS : DEMOS.filter((demo) => names.includes(demo.name))
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const report = new Report(args.includes('--verbose'))
  const demos = selectedDemos(args.filter((arg) => arg !== '--verbose'))
  // The demos' temporary files go here (their TMPDIR), removed at exit and on Ctrl-C.
  const scratch = scratchDir('rx-channels-demos-')
  report.debug(`temporary folder ${scratch}`)
  const engine = await startEngine({ port: 0 })
  onInterrupt(() => engine.close())
  onInterrupt(() => report.line('interrupted: stopping the demo processes and removing their files'))
  const runner = new DemoRunner(engine.url, report, { ...process.env, TMPDIR: scratch })
  report.line(`rx-channels demos: an engine embedded in this process at ${engine.url}, each demo's workers processes of their own`)

  const started = Date.now()
  const outcomes: Outcome[] = []
  for (const [index, demo] of demos.entries()) {
    report.line(`\n[${index + 1}/${demos.length}] ${demo.title}`)
    outcomes.push(await runner.run(demo))
    // The interrupt's cleanup reports and exits; nothing more is started or printed.
    if (interruptedBy()) return
  }
  await engine.close()
  const passed = outcomes.filter((outcome) => outcome === 'passed').length
  const notRun = outcomes.filter((outcome) => outcome === 'not run').length
  const ran = outcomes.length - notRun
  report.line(`\n${passed} of ${ran} demos passed in ${((Date.now() - started) / 1000).toFixed(1)} s${notRun === 0 ? '' : `, ${notRun} not run`}`)
  process.exitCode = passed === ran ? 0 : 1
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
