/**
 * Signers whose key lives outside the process: a PKCS#11 token, a cloud KMS. They answer
 * with a promise, so the gate signs them before the store's transaction, never inside it,
 * and bounds every signature by the decision's deadline.
 */
import { type PublicJwk, WritError } from '@writ/verify'
import type { Signer } from './signer.js'

/**
 * An Ed25519 signer that answers asynchronously, because its key is held by something
 * else: a hardware token, an HSM, a key management service. The gate never sees the
 * private key; it hands over the bytes to sign and waits, at most until the decision's
 * deadline.
 *
 * A signer that throws, rejects, answers with anything but 64 bytes, or does not answer
 * in time makes the decision fail closed with `SIGNER_UNAVAILABLE`: no receipt is written
 * and nothing may run.
 *
 * @example
 * ```ts
 * const signer: AsyncSigner = {
 *   asynchronous: true,
 *   kid: publicJwk.kid,
 *   publicJwk,
 *   sign: (message) => myHsm.signEd25519(message),
 * }
 * const gate = createGate({ policy, keys: signer, issuer: 'https://writ.example' })
 * ```
 */
export interface AsyncSigner {
  /** Marks the signer as asynchronous: the gate signs before the store's transaction. */
  readonly asynchronous: true
  /** RFC 7638 thumbprint of the public key, written into every header it signs. */
  readonly kid: string
  /** The public key, as published in the JWK Set. */
  readonly publicJwk: PublicJwk
  /**
   * Where the key lives, without any secret (for example `pkcs11:token=writ;object=receipts`):
   * written beside the public key when a key ring is saved, so the ring can be opened again.
   */
  readonly uri?: string
  /**
   * Ed25519 signature (64 bytes) over `message`. `signal` aborts when the decision's
   * deadline passes; a signer may use it to give up early.
   */
  sign(message: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>
  /** Releases the token session, the worker or the client, if the signer holds one. */
  close?(): Promise<void>
}

/** Either kind of signer: synchronous (the key in memory) or {@link AsyncSigner}. */
export type AnySigner = Signer | AsyncSigner

/** True when `signer` is an {@link AsyncSigner}. */
export function isAsyncSigner(signer: unknown): signer is AsyncSigner {
  return (
    typeof signer === 'object' &&
    signer !== null &&
    (signer as { asynchronous?: unknown }).asynchronous === true &&
    typeof (signer as { sign?: unknown }).sign === 'function'
  )
}

/** The error every signer failure becomes: the decision fails closed. */
export function signerUnavailable(kid: string, reason: string, cause?: unknown): WritError {
  return new WritError(
    'SIGNER_UNAVAILABLE',
    `The signer of key ${kid} did not sign (${reason}); no receipt was issued and the action must not run.`,
    { details: { kid, reason }, ...(cause === undefined ? {} : { cause }) },
  )
}

/**
 * The signature, if `value` is one: 64 bytes. Anything else is a signer failure, never
 * written into a receipt.
 *
 * @throws WritError `SIGNER_UNAVAILABLE`
 */
export function checkSignature(value: unknown, kid: string): Uint8Array {
  if (value instanceof Uint8Array && value.byteLength === 64) return value
  throw signerUnavailable(kid, 'malformed')
}

/**
 * Signs `message` with `signer`, bounded by `deadline` (milliseconds on `now`'s clock).
 * Resolves with the 64-byte signature, or rejects with `SIGNER_UNAVAILABLE` when the
 * signer throws, rejects, answers with something else, or does not answer in time. A
 * signature that arrives after the deadline is dropped.
 */
export function signBefore(
  signer: AsyncSigner,
  message: Uint8Array,
  deadline: number,
  now: () => number = Date.now,
): Promise<Uint8Array> {
  const remaining = deadline - now()
  if (!(remaining > 0)) return Promise.reject(signerUnavailable(signer.kid, 'timeout'))
  return new Promise<Uint8Array>((resolve, reject) => {
    const controller = new AbortController()
    const timer = setTimeout(() => {
      controller.abort()
      reject(signerUnavailable(signer.kid, 'timeout'))
    }, remaining)
    const settle = (outcome: () => void): void => {
      clearTimeout(timer)
      outcome()
    }
    let pending: Promise<Uint8Array>
    try {
      pending = Promise.resolve(signer.sign(message, controller.signal))
    } catch (error) {
      settle(() => reject(failureOf(signer.kid, error)))
      return
    }
    pending.then(
      (signature) =>
        settle(() => {
          try {
            resolve(checkSignature(signature, signer.kid))
          } catch (error) {
            reject(error)
          }
        }),
      (error: unknown) => settle(() => reject(failureOf(signer.kid, error))),
    )
  })
}

/** A signer's own `SIGNER_UNAVAILABLE` passes through; anything else becomes one. */
function failureOf(kid: string, error: unknown): WritError {
  if (WritError.isInstance(error) && error.code === 'SIGNER_UNAVAILABLE') return error
  return signerUnavailable(kid, 'error', error)
}
