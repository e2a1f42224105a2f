/**
 * An asynchronous signer over an in-memory key, for tests and benchmarks of the paths a
 * key in a token or a KMS takes: slow answers, failures, answers that never come.
 */
import type { AsyncSigner } from '../async-signer.js'
import { generateSigningKey, type PrivateSigningJwk, parseSigningKey } from '../keys.js'
import { createSigner } from '../signer.js'

/** What the next signatures of a {@link TestAsyncSigner} do. */
export type TestSignerMode = 'sign' | 'reject' | 'throw' | 'hang' | 'malformed'

/** Options of {@link createTestAsyncSigner}. */
export interface TestAsyncSignerOptions {
  /** The key; a fresh one by default. */
  readonly key?: PrivateSigningJwk
  /** Answer after this many milliseconds (a timer), or in the next microtask when 0 (default). */
  readonly delayMs?: number
}

/** An {@link AsyncSigner} whose behaviour a test switches with `mode`. */
export interface TestAsyncSigner extends AsyncSigner {
  /** What the next calls of `sign` do; `sign` by default. */
  mode: TestSignerMode
  /** Calls of `sign` so far. */
  readonly calls: number
  /** Signatures asked for and not yet answered. */
  readonly outstanding: number
  /** The most signatures outstanding at once. */
  readonly mostOutstanding: number
  /** Answers every hanging call with a signature now. */
  releaseHanging(): void
}

/**
 * Creates a {@link TestAsyncSigner}: signs with an in-memory key, asynchronously, unless
 * its `mode` says to reject, throw, hang (until {@link TestAsyncSigner.releaseHanging}) or
 * answer with a malformed signature.
 *
 * @example
 * ```ts
 * const signer = createTestAsyncSigner()
 * const gate = createPaymentsGate({ keys: signer })
 * signer.mode = 'reject'
 * await expect(gate.authorize(request)).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
 * ```
 */
export function createTestAsyncSigner(options: TestAsyncSignerOptions = {}): TestAsyncSigner {
  const parsed = parseSigningKey(options.key ?? generateSigningKey())
  const local = createSigner(parsed.seed, parsed.publicJwk)
  const delayMs = options.delayMs ?? 0
  const hanging: (() => void)[] = []
  let calls = 0
  let outstanding = 0
  let mostOutstanding = 0
  const answer = (message: Uint8Array): Promise<Uint8Array> =>
    new Promise((resolve) => {
      outstanding++
      mostOutstanding = Math.max(mostOutstanding, outstanding)
      const done = () => {
        outstanding--
        resolve(local.sign(message))
      }
      if (signer.mode === 'hang') hanging.push(done)
      else if (delayMs > 0) setTimeout(done, delayMs)
      else queueMicrotask(done)
    })
  const signer: TestAsyncSigner = {
    asynchronous: true,
    kid: local.kid,
    publicJwk: local.publicJwk,
    mode: 'sign',
    get calls() {
      return calls
    },
    get outstanding() {
      return outstanding
    },
    get mostOutstanding() {
      return mostOutstanding
    },
    sign(message) {
      calls++
      if (signer.mode === 'throw') throw new Error('the token is gone')
      if (signer.mode === 'reject') return Promise.reject(new Error('the token refused'))
      if (signer.mode === 'malformed') return Promise.resolve(new Uint8Array(63))
      return answer(message)
    },
    releaseHanging() {
      for (const done of hanging.splice(0)) done()
    },
  }
  return signer
}
