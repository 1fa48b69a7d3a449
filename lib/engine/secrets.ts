import { createHash, timingSafeEqual } from 'crypto'

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/**
 * Compares a secret with what a client offered in constant time. Both are hashed first, so
 * the comparison takes the same time whatever the offered length, and leaks no prefix.
 */
export function secretsMatch(expected: string, offered: string): boolean {
  return timingSafeEqual(digest(expected), digest(offered))
}
