// What the README's fragments take as given (channel ends, file names, a progress bar), so that
// they type-check as written. A script, not a module: these are globals of the fragments' program.
declare const writer: import('rx-channels').ChannelWriter
declare const output: import('rx-channels').ChannelWriter
declare const reader: import('rx-channels').ChannelReader
declare const input: import('rx-channels').ChannelReader
declare const path: string
declare const out: string
declare const hash: import('crypto').Hash
declare const progress$: import('rxjs').Observable<{ bytesIn: number }>
declare const bar: { update(bytesIn: number): void }
declare function handle(chunk: Buffer): void
declare function enrich(reading: { id: number; value: number }): { id: number; value: number; doubled: number }
