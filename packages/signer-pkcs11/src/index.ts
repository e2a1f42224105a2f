// @writ/signer-pkcs11: sign Writ receipts with an Ed25519 key held in a PKCS#11 token

// Naming a key: PKCS#11 URIs (RFC 7512) and PIN sources
export { type PinSource, readPin } from './pin.js'
// The signer, and key generation for rotation
export {
  DEFAULT_TOKEN_TIMEOUT_MS,
  generatePkcs11Key,
  openPkcs11Signer,
  type Pkcs11Signer,
  type Pkcs11SignerOptions,
} from './pkcs11-signer.js'
export {
  DEFAULT_PIN_ENV,
  formatPkcs11Uri,
  type Pkcs11KeyLocation,
  parsePkcs11Uri,
} from './pkcs11-uri.js'
export type { KeyAttributes } from './protocol.js'
