/**
 * An {@link AsyncSigner} over an Ed25519 key in a PKCS#11 token. The key never enters
 * this process: a child process holds the token session and signs with `CKM_EDDSA`.
 */
import { createHash, createPublicKey, verify } from 'node:crypto'
import { type AsyncSigner, type PublicJwk, signerUnavailable, WritError } from '@writ/core'
import { readPin } from './pin.js'
import { formatPkcs11Uri, type Pkcs11KeyLocation, parsePkcs11Uri } from './pkcs11-uri.js'
import type { KeyAttributes } from './protocol.js'
import { TokenProcess, tokenError } from './token-process.js'

/** Default bound on one call to the token, in milliseconds. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 2000
/** Bound on starting a session (a new process, the module loaded, the login), in milliseconds. */
const START_TIMEOUT_MS = 30_000

/** Options of {@link openPkcs11Signer}: where the key is, or its PKCS#11 URI. */
export type Pkcs11SignerOptions = (Pkcs11KeyLocation | { readonly uri: string }) & {
  /**
   * Bound on one call to the token (log in, sign), in milliseconds; 2000 by default. A
   * call past it kills the token's child process; the next signature starts a new one.
   */
  readonly timeoutMs?: number
}

/** A signer whose key is in a PKCS#11 token. */
export interface Pkcs11Signer extends AsyncSigner {
  /** The key's PKCS#11 URI (no PIN). */
  readonly uri: string
  /** The private key's protection, read from the token now. */
  keyAttributes(): Promise<KeyAttributes>
  /** The process id of the child holding the token session, while it runs. */
  readonly processId: number | undefined
  /** Logs out and ends the child process. */
  close(): Promise<void>
}

function locationOf(options: Pkcs11SignerOptions): Pkcs11KeyLocation {
  return 'uri' in options ? parsePkcs11Uri(options.uri) : options
}

function timeoutOf(options: Pkcs11SignerOptions): number {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new WritError('KEY_INVALID', 'timeoutMs must be a positive number.')
  }
  return timeoutMs
}

function publicJwkOf(publicKey: Uint8Array): PublicJwk {
  const x = Buffer.from(publicKey).toString('base64url')
  // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
  const kid = createHash('sha256')
    .update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)
    .digest('base64url')
  return Object.freeze({
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    kid,
    use: 'sig',
    alg: 'EdDSA',
    status: 'active',
  })
}

/** Starts a child, logs in and finds the key; the child is killed on any failure. */
async function startToken(
  location: Pkcs11KeyLocation,
  timeoutMs: number,
  kid: () => string,
  op: 'find' | 'generate' = 'find',
): Promise<{ token: TokenProcess; publicKey: Uint8Array }> {
  const pin = readPin(location.pin ?? { env: 'WRIT_PKCS11_PIN' })
  const token = new TokenProcess(kid)
  try {
    await token.call(
      { op: 'login', login: { module: location.module, token: location.token, pin } },
      timeoutMs,
    )
    const publicKey = (await token.call({ op, label: location.key }, timeoutMs)) as Uint8Array
    return { token, publicKey }
  } catch (error) {
    token.kill()
    throw error
  }
}

/** Signs one random message and checks it with the public key: the pair is whole and Ed25519. */
async function selfTest(
  token: TokenProcess,
  publicJwk: PublicJwk,
  timeoutMs: number,
): Promise<void> {
  const message = crypto.getRandomValues(new Uint8Array(32))
  const signature = (await token.call({ op: 'sign', data: message }, timeoutMs)) as Uint8Array
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x },
    format: 'jwk',
  })
  if (!verify(null, message, key, signature)) {
    token.kill()
    throw tokenError(publicJwk.kid, 'key-invalid')
  }
}

/**
 * Opens the Ed25519 key named by `options` in a PKCS#11 token: starts the child process,
 * logs in with the PIN (read from its environment variable or file now, and again each
 * time the child is restarted), finds the key pair by label, reads its public key and
 * checks one signature with it.
 *
 * Every failure is a `WritError`: `SIGNER_UNAVAILABLE` with `details.reason`
 * (`module-unloadable`, `token-missing`, `pin-incorrect`, `pin-locked`, `key-missing`,
 * `key-ambiguous`, `key-invalid`, `token-removed`, `timeout`, `exited`) for the token,
 * `KEY_MISSING` or `KEY_INVALID` for the PIN source or the URI.
 *
 * @example
 * ```ts
 * const signer = await openPkcs11Signer({
 *   uri: 'pkcs11:token=writ;object=receipts?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:WRIT_PKCS11_PIN',
 * })
 * const gate = createGate({ policy, keys: signer, issuer: 'https://writ.example' })
 * ```
 */
export async function openPkcs11Signer(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
  const location = locationOf(options)
  const timeoutMs = timeoutOf(options)
  let kid = ''
  const started = await startToken(location, timeoutMs, () => kid)
  const publicJwk = publicJwkOf(started.publicKey)
  kid = publicJwk.kid
  await selfTest(started.token, publicJwk, Math.max(timeoutMs, START_TIMEOUT_MS))
  return new TokenSigner(location, timeoutMs, publicJwk, started.token)
}

class TokenSigner implements Pkcs11Signer {
  readonly asynchronous = true
  readonly kid: string
  readonly publicJwk: PublicJwk
  readonly uri: string
  readonly #location: Pkcs11KeyLocation
  readonly #timeoutMs: number
  #token: Promise<TokenProcess> | undefined
  #closed = false

  constructor(
    location: Pkcs11KeyLocation,
    timeoutMs: number,
    publicJwk: PublicJwk,
    token: TokenProcess,
  ) {
    this.#location = location
    this.#timeoutMs = timeoutMs
    this.publicJwk = publicJwk
    this.kid = publicJwk.kid
    this.uri = formatPkcs11Uri(location)
    this.#token = Promise.resolve(token)
  }

  get processId(): number | undefined {
    return this.#current?.pid
  }

  #current: TokenProcess | undefined

  async sign(message: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const token = await this.#session()
    try {
      return (await token.call(
        { op: 'sign', data: message },
        this.#timeoutMs,
        signal,
      )) as Uint8Array
    } catch (error) {
      // The session died (killed after a timeout, or ended): log in again now, so the next
      // decision does not wait for a new process to start.
      if (token.dead && !this.#closed && this.#current === token) {
        void this.#restart().catch(() => undefined)
      }
      throw error
    }
  }

  async keyAttributes(): Promise<KeyAttributes> {
    const token = await this.#session()
    return (await token.call({ op: 'attributes' }, this.#timeoutMs)) as KeyAttributes
  }

  async close(): Promise<void> {
    this.#closed = true
    const token = await this.#token?.catch(() => undefined)
    this.#token = undefined
    token?.kill()
  }

  /** The running child, or a new one (logged in again) when the last one died. */
  #session(): Promise<TokenProcess> {
    if (this.#closed) return Promise.reject(signerUnavailable(this.kid, 'closed'))
    const existing = this.#token
    if (existing !== undefined) {
      return existing.then((token) => (token.dead ? this.#restart() : this.#remember(token)))
    }
    return this.#restart()
  }

  #remember(token: TokenProcess): TokenProcess {
    this.#current = token
    return token
  }

  #restart(): Promise<TokenProcess> {
    const next = startToken(this.#location, this.#timeoutMs, () => this.kid).then(
      ({ token, publicKey }) => {
        // The label now names another key (the token was replaced): never sign under the old kid.
        if (Buffer.from(publicKey).toString('base64url') !== this.publicJwk.x) {
          token.kill()
          throw tokenError(this.kid, 'key-invalid')
        }
        return this.#remember(token)
      },
    )
    // A failed start is not kept: the next signature tries again.
    this.#token = next.catch((error: unknown) => {
      if (this.#token === failed) this.#token = undefined
      throw error
    })
    const failed = this.#token
    void this.#token.catch(() => undefined)
    return next
  }
}

/**
 * Generates a new Ed25519 key pair in the token, labelled `location.key`: the private key
 * sensitive and not extractable, kept on the token. For `writ keys rotate`; the token
 * refuses a label already in use (`SIGNER_UNAVAILABLE`, reason `key-exists`).
 *
 * @returns the new key's public JWK (status `active`)
 */
export async function generatePkcs11Key(options: Pkcs11SignerOptions): Promise<PublicJwk> {
  const location = locationOf(options)
  const { token, publicKey } = await startToken(location, timeoutOf(options), () => '', 'generate')
  token.kill()
  return publicJwkOf(publicKey)
}
