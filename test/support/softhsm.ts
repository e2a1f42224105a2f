/**
 * A throwaway SoftHSM2 token for tests: a token directory and configuration under a
 * temporary folder (SOFTHSM2_CONF points there for this process and the children it
 * starts), a token with a random PIN, and an Ed25519 key generated inside it.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatPkcs11Uri, generatePkcs11Key, type Pkcs11KeyLocation } from '@writ/signer-pkcs11'
import type { PublicJwk } from '@writ/verify'

/** Where SoftHSM2's module is on Debian and Ubuntu (package `softhsm2`). */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'

/** A token made for one test file. */
export interface TestToken {
  /** The token's folder; delete `tokenDir` to pull the token out. */
  readonly dir: string
  readonly tokenDir: string
  /** The SOFTHSM2_CONF file. */
  readonly conf: string
  readonly label: string
  /** The environment variable holding the user PIN (set in this process). */
  readonly pinEnv: string
  readonly pin: string
  /** The first key: its location, URI and public JWK. */
  readonly key: Pkcs11KeyLocation
  readonly uri: string
  readonly publicJwk: PublicJwk
  /** Makes another Ed25519 key in the token (for rotation). */
  addKey(label: string): Promise<{ location: Pkcs11KeyLocation; uri: string; publicJwk: PublicJwk }>
  /** Deletes the token's folder (the token is gone). */
  removeToken(): void
  /** Deletes everything. */
  dispose(): void
}

/**
 * Creates a SoftHSM2 token in a new temporary folder, with an Ed25519 key labelled
 * `receipts` generated inside it, and points SOFTHSM2_CONF at it.
 */
export async function createTestToken(label = 'writ-test'): Promise<TestToken> {
  const dir = mkdtempSync(join(tmpdir(), 'writ-softhsm-'))
  const tokenDir = join(dir, 'tokens')
  mkdirSync(tokenDir)
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(
    conf,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  process.env['SOFTHSM2_CONF'] = conf
  const pin = randomBytes(8).toString('hex')
  const pinEnv = `WRIT_TEST_PKCS11_PIN_${randomBytes(4).toString('hex').toUpperCase()}`
  process.env[pinEnv] = pin
  execFileSync(
    'softhsm2-util',
    [
      '--init-token',
      '--free',
      '--label',
      label,
      '--so-pin',
      randomBytes(8).toString('hex'),
      '--pin',
      pin,
    ],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'ignore' },
  )
  const addKey = async (keyLabel: string) => {
    const location: Pkcs11KeyLocation = {
      module: SOFTHSM_MODULE,
      token: label,
      key: keyLabel,
      pin: { env: pinEnv },
    }
    const publicJwk = await generatePkcs11Key(location)
    return { location, uri: formatPkcs11Uri(location), publicJwk }
  }
  const first = await addKey('receipts')
  return {
    dir,
    tokenDir,
    conf,
    label,
    pinEnv,
    pin,
    key: first.location,
    uri: first.uri,
    publicJwk: first.publicJwk,
    addKey,
    removeToken: () => rmSync(tokenDir, { recursive: true, force: true }),
    dispose: () => {
      delete process.env[pinEnv]
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
