import { canonicalArgs } from './canonical-args.js'
import { WritError } from './errors.js'
import type { JsonLimits } from './json.js'
import type { KeySet, KeySetInput } from './key-set.js'
import { type VerifiedReceipt, verifyReceipt } from './receipt.js'
import type { Digest, HttpBinding, ReceiptClaims, ReplayCache } from './types.js'

/** What the executor is about to do, and how strictly to check the receipt for it. */
export interface PermitExpectation {
  /** The action about to run; must equal `act.name`. */
  readonly action: string
  /**
   * The arguments about to be used: raw JSON text, its UTF-8 bytes, or a JSON object. Their
   * canonical digest must equal `act.args`. Give this or {@link PermitExpectation.argsDigest}
   * (or both: both must match).
   */
  readonly args?: unknown
  /** The digest of the arguments about to be used, when the caller computed it. */
  readonly argsDigest?: Digest
  /** Limits for canonicalizing {@link PermitExpectation.args}. */
  readonly argsLimits?: JsonLimits
  /**
   * For an HTTP action, the binding of the request about to be sent or run (see
   * `httpRequestView`). When given, the receipt must carry exactly this binding; when
   * absent, the receipt must carry none.
   */
  readonly http?: HttpBinding
  /**
   * This executor's name. When given, the receipt's `aud` must be exactly it; when absent,
   * the receipt must carry no `aud` (a PERMIT meant for another service runs nowhere else).
   */
  readonly audience?: string
  /** The request id the PERMIT must carry as `req`, when the executor knows it. */
  readonly request?: string
  /** The current time in seconds. Default: the system clock. */
  readonly now?: number
  /** How far in the future `iat` may be, in seconds. Default {@link DEFAULT_SKEW_SECONDS}. */
  readonly skewSeconds?: number
  /**
   * The longest lifetime (`exp - iat`) accepted, in seconds. Default
   * {@link DEFAULT_MAX_LIFETIME_SECONDS}; it can only be lowered. A PERMIT that claims
   * a longer life (for example one minted with a leaked retired key, backdated, with an
   * `exp` years away) authorizes nothing.
   */
  readonly maxLifetimeSeconds?: number
  /** Marks the receipt's `jti` as used. Without one, single use is not enforced. */
  readonly replay?: ReplayCache
}

/** Default allowed clock skew for `iat`, in seconds. */
export const DEFAULT_SKEW_SECONDS = 60
/** Default and greatest PERMIT lifetime a verifier accepts, in seconds (spec section 2). */
export const DEFAULT_MAX_LIFETIME_SECONDS = 300

/**
 * Answers "does this authentic receipt permit exactly this?" for claims already verified
 * (spec section 7): the one check every executor runs, in `@writ/verify`, the gate's
 * `guard`, the remote gate and every receiving guard. Throws the first failure, in order:
 *
 * 1. `NOT_PERMIT` — the decision is not `PERMIT`;
 * 2. `NOT_YET_VALID` — `iat` is later than `now + skewSeconds`;
 * 3. `EXPIRED` — `now` is after `exp` (inclusive bound; no skew is added);
 * 4. `LIFETIME_TOO_LONG` — `exp - iat` is beyond `maxLifetimeSeconds`;
 * 5. `ACTION_MISMATCH` — `act.name` differs from the action;
 * 6. `ARGS_MISMATCH` — `act.args` differs from the canonical digest of the arguments (or no
 *    arguments were given to compare, or they are not valid input);
 * 7. `HTTP_MISMATCH` — method, URI or body digest differ, or exactly one side has a binding;
 * 8. `AUDIENCE_MISMATCH` — `aud` differs from the expected audience (both absent is equal);
 * 9. `REQUEST_MISMATCH` — a request id was expected and `req` is another.
 */
export function checkPermit(claims: ReceiptClaims, expected: PermitExpectation): void {
  if (claims.decision !== 'PERMIT') {
    throw new WritError(
      'NOT_PERMIT',
      `the receipt's decision is ${claims.decision}: it authorizes nothing`,
      {
        details: { decision: claims.decision, reason: claims.reason },
      },
    )
  }
  const now = expected.now ?? Math.floor(Date.now() / 1000)
  const skew = expected.skewSeconds ?? DEFAULT_SKEW_SECONDS
  const maxLifetime = expected.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS
  if (!Number.isFinite(now) || !Number.isFinite(skew) || skew < 0) {
    throw new TypeError('now and skewSeconds must be finite numbers, skewSeconds non-negative')
  }
  if (!(maxLifetime > 0 && maxLifetime <= DEFAULT_MAX_LIFETIME_SECONDS)) {
    throw new TypeError(
      `maxLifetimeSeconds must be greater than 0 and at most ${DEFAULT_MAX_LIFETIME_SECONDS}`,
    )
  }
  if (claims.iat > now + skew) {
    throw new WritError('NOT_YET_VALID', 'the receipt was issued in the future', {
      details: { iat: claims.iat, now },
    })
  }
  if (now > claims.exp) {
    throw new WritError('EXPIRED', 'the receipt has expired', { details: { exp: claims.exp, now } })
  }
  if (claims.exp - claims.iat > maxLifetime) {
    throw new WritError(
      'LIFETIME_TOO_LONG',
      'the receipt claims a longer life than any PERMIT may have',
      {
        details: { iat: claims.iat, exp: claims.exp, maxLifetimeSeconds: maxLifetime },
      },
    )
  }
  if (claims.act.name !== expected.action) {
    throw new WritError('ACTION_MISMATCH', 'the receipt is for another action', {
      details: { receipt: claims.act.name, expected: expected.action },
    })
  }
  checkArgs(claims.act.args, expected)
  checkHttp(claims.http, expected.http)
  if (claims.aud !== expected.audience) {
    throw new WritError('AUDIENCE_MISMATCH', 'the receipt is not meant for this executor', {
      details: { receipt: claims.aud ?? null, expected: expected.audience ?? null },
    })
  }
  if (expected.request !== undefined && claims.req !== expected.request) {
    throw new WritError('REQUEST_MISMATCH', 'the receipt answers another request', {
      details: { receipt: claims.req, expected: expected.request },
    })
  }
}

/**
 * Answers "may I execute this action, with these arguments, on this receipt?" (spec section 7).
 * Checks, in order, and throws the first failure:
 *
 * 1. authenticity, as {@link verifyReceipt} (`MALFORMED` … `CLAIMS_INVALID`);
 * 2. everything {@link checkPermit} checks (`NOT_PERMIT` … `REQUEST_MISMATCH`);
 * 3. `REPLAYED` — the replay cache has seen `jti` (claimed last, only when all else passed);
 *    a cache that fails is `REPLAY_CACHE_UNAVAILABLE`, never a pass.
 *
 * @example
 * ```ts
 * await verifyPermit(request.headers['writ-receipt'], keys, {
 *   action: 'payments.transfer', args: rawBody, audience: 'payments-api', replay,
 * })
 * ```
 */
export async function verifyPermit(
  token: string,
  keys: KeySet | KeySetInput,
  expected: PermitExpectation,
): Promise<VerifiedReceipt> {
  const verified = await verifyReceipt(token, keys)
  const { claims } = verified
  checkPermit(claims, expected)
  if (expected.replay !== undefined) {
    let first: boolean
    try {
      first = await expected.replay.claim(claims.jti, claims.exp)
    } catch (error) {
      throw new WritError('REPLAY_CACHE_UNAVAILABLE', 'the replay cache failed; refusing', {
        cause: error,
      })
    }
    if (first !== true) {
      throw new WritError('REPLAYED', 'this receipt has already been used', {
        details: { jti: claims.jti },
      })
    }
  }
  return verified
}

function checkArgs(receiptDigest: Digest, expected: PermitExpectation): void {
  const hasArgs = Object.hasOwn(expected, 'args') && expected.args !== undefined
  if (!hasArgs && expected.argsDigest === undefined) {
    throw new WritError('ARGS_MISMATCH', 'no arguments were given to compare with the receipt')
  }
  if (expected.argsDigest !== undefined && expected.argsDigest !== receiptDigest) {
    throw new WritError('ARGS_MISMATCH', 'the arguments differ from those the receipt binds', {
      details: { receipt: receiptDigest, expected: expected.argsDigest },
    })
  }
  if (hasArgs) {
    let digest: Digest
    try {
      digest = canonicalArgs(expected.args, expected.argsLimits).digest
    } catch (error) {
      throw new WritError(
        'ARGS_MISMATCH',
        'the arguments are not valid input, so they match no receipt',
        {
          cause: error,
          details: { reason: WritError.isInstance(error) ? error.code : 'UNKNOWN' },
        },
      )
    }
    if (digest !== receiptDigest) {
      throw new WritError('ARGS_MISMATCH', 'the arguments differ from those the receipt binds', {
        details: { receipt: receiptDigest, expected: digest },
      })
    }
  }
}

function checkHttp(receipt: HttpBinding | undefined, expected: HttpBinding | undefined): void {
  if (receipt === undefined && expected === undefined) return
  if (receipt === undefined || expected === undefined) {
    throw new WritError(
      'HTTP_MISMATCH',
      receipt === undefined
        ? 'the receipt binds no HTTP request'
        : 'the receipt binds an HTTP request',
      {
        details: { member: 'http' },
      },
    )
  }
  for (const member of ['method', 'uri', 'body'] as const) {
    if (receipt[member] !== expected[member]) {
      throw new WritError('HTTP_MISMATCH', `the request's ${member} differs from the receipt's`, {
        details: { member, receipt: receipt[member], expected: expected[member] },
      })
    }
  }
}
