/**
 * The messages between the signer and the child process that talks to the token. The
 * PKCS#11 calls run in a child so that a token that hangs can be timed out and killed
 * without taking the authority down with it.
 */

/** Where the token is and how to log in; sent once per child, never on a command line. */
export interface TokenLogin {
  readonly module: string
  readonly token: string
  readonly pin: string
}

/** What the parent asks. */
export type TokenRequest =
  | { readonly id: number; readonly op: 'login'; readonly login: TokenLogin }
  | { readonly id: number; readonly op: 'find'; readonly label: string }
  | { readonly id: number; readonly op: 'generate'; readonly label: string }
  | { readonly id: number; readonly op: 'sign'; readonly data: Uint8Array }
  | { readonly id: number; readonly op: 'attributes' }

/** Why the token refused, as the signer reports it in `details.reason`. */
export type TokenFailure =
  | 'module-unloadable'
  | 'token-missing'
  | 'token-removed'
  | 'pin-incorrect'
  | 'pin-locked'
  | 'key-missing'
  | 'key-ambiguous'
  | 'key-exists'
  | 'key-invalid'
  | 'token-error'

/** What the child answers. */
export type TokenResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number
      readonly ok: false
      readonly reason: TokenFailure
      readonly pkcs11Code?: number
      readonly message: string
    }

/** The private key's protection, as the token reports it. */
export interface KeyAttributes {
  /** `CKA_EXTRACTABLE`: false means the token never lets the key out, even wrapped. */
  readonly extractable: boolean
  /** `CKA_SENSITIVE`: true means the key's value is never revealed in plaintext. */
  readonly sensitive: boolean
  /** `CKA_ALWAYS_SENSITIVE`: sensitive ever since the key was made. */
  readonly alwaysSensitive: boolean
  /** `CKA_NEVER_EXTRACTABLE`: never extractable since the key was made. */
  readonly neverExtractable: boolean
}

// PKCS#11 v3.0 numbers that pkcs11js 2.1 does not name.
/** `CKK_EC_EDWARDS`: an Edwards-curve key (Ed25519, Ed448). */
export const CKK_EC_EDWARDS = 0x40
/** `CKM_EC_EDWARDS_KEY_PAIR_GEN`. */
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055
/** `CKM_EDDSA`: pure Ed25519 when given no parameters. */
export const CKM_EDDSA = 0x1057
/** DER of OID 1.3.101.112 (id-Ed25519), the `CKA_EC_PARAMS` of an Ed25519 key. */
export const ED25519_PARAMS = Uint8Array.from([0x06, 0x03, 0x2b, 0x65, 0x70])
