/**
 * Per-credential limits on `POST /v1/decisions`: a token bucket for the request rate and
 * a cap on decisions in flight, so one agent (or one leaked token) cannot starve the
 * others of the authority.
 */

/** Options of {@link createAgentLimits}. */
export interface AgentLimitOptions {
  /** Requests per second each credential may sustain. Default 50. */
  readonly ratePerSecond?: number
  /** Requests a credential may make at once after being idle. Default 100. */
  readonly burst?: number
  /** Decisions in flight per credential. Default 16. */
  readonly maxInFlight?: number
  /** The clock, in milliseconds. Default `performance.now`. */
  readonly now?: () => number
}

/** Why a request was turned away, and when to try again (seconds, for `Retry-After`). */
export type LimitRefusal = {
  readonly code: 'RATE_LIMITED' | 'CONCURRENCY_LIMITED'
  readonly retryAfterSeconds: number
}

/** The limits of every credential, keyed by the credential's token hash. */
export interface AgentLimits {
  /**
   * Takes a token and a slot for `key`, or says why not. On success, call the returned
   * `release` exactly once when the decision is answered.
   */
  acquire(key: string): { readonly release: () => void } | LimitRefusal
}

interface Bucket {
  tokens: number
  updated: number
  inFlight: number
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback
  if (!Number.isFinite(chosen) || chosen <= 0)
    throw new TypeError(`${name} must be a positive number`)
  return chosen
}

/** Creates the per-credential rate and concurrency limits. */
export function createAgentLimits(options: AgentLimitOptions = {}): AgentLimits {
  const rate = positive(options.ratePerSecond, 50, 'ratePerSecond')
  const burst = positive(options.burst, 100, 'burst')
  const maxInFlight = Math.floor(positive(options.maxInFlight, 16, 'maxInFlight'))
  const now = options.now ?? (() => performance.now())
  const buckets = new Map<string, Bucket>()
  return {
    acquire(key) {
      const time = now()
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        bucket = { tokens: burst, updated: time, inFlight: 0 }
        buckets.set(key, bucket)
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.updated) / 1000) * rate)
      bucket.updated = time
      if (bucket.inFlight >= maxInFlight)
        return { code: 'CONCURRENCY_LIMITED', retryAfterSeconds: 1 }
      if (bucket.tokens < 1)
        return {
          code: 'RATE_LIMITED',
          retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)),
        }
      bucket.tokens -= 1
      bucket.inFlight += 1
      const held = bucket
      let released = false
      return {
        release: () => {
          if (released) return
          released = true
          held.inFlight -= 1
        },
      }
    },
  }
}
