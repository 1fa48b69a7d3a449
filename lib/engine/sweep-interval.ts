/**
 * How often to check a time limit of `limitMs`: four times per limit, so that it is enforced
 * late by at most a quarter, but at most every 30 s and at least every 10 ms. The upper bound
 * also keeps the interval within what Node's timers take (a larger one would fire every 1 ms).
 */
export const sweepInterval = (limitMs: number) => Math.min(Math.max(Math.floor(limitMs / 4), 10), 30_000)
