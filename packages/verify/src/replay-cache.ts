import { WritError } from './errors.js'
import type { ReplayCache } from './types.js'

/** Options of {@link createMemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most receipt ids held at once. Default 100 000. */
  readonly maxEntries?: number
  /** Clock in seconds, for eviction. Default: the system clock. */
  readonly now?: () => number
  /** How long after its `exp` an entry is kept, to cover clock skew. Default 300 s. */
  readonly graceSeconds?: number
}

/**
 * A replay cache in memory, for one process: `claim(jti, exp)` is `true` the first time and
 * `false` after. Entries are forgotten once their receipt has expired, plus a grace period (such a
 * receipt fails `EXPIRED` before the cache is asked). It is bounded: when full of unexpired entries it
 * throws rather than forget one (forgetting would allow a replay), and {@link verifyPermit}
 * turns that into `REPLAY_CACHE_UNAVAILABLE`. Several processes need a shared cache (a store).
 */
export function createMemoryReplayCache(
  options: MemoryReplayCacheOptions = {},
): ReplayCache & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new RangeError('maxEntries must be a positive integer')
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const graceSeconds = options.graceSeconds ?? 300
  const entries = new Map<string, number>()
  let nextSweep = 0

  function sweep(current: number): void {
    // A grace period covers clock skew between this cache and the verifier's clock.
    for (const [jti, expiresAt] of entries)
      if (expiresAt + graceSeconds < current) entries.delete(jti)
  }

  return {
    get size() {
      return entries.size
    },
    claim(jti: string, expiresAt: number): boolean {
      if (typeof jti !== 'string' || jti.length === 0)
        throw new TypeError('jti must be a non-empty string')
      const current = now()
      if (entries.has(jti)) return false
      if (entries.size >= maxEntries || current >= nextSweep) {
        sweep(current)
        nextSweep = current + 60
      }
      if (entries.size >= maxEntries) {
        throw new WritError(
          'REPLAY_CACHE_UNAVAILABLE',
          'replay cache is full of unexpired receipts',
          {
            details: { maxEntries },
          },
        )
      }
      entries.set(jti, expiresAt)
      return true
    },
  }
}
