/**
 * PKCS#11 URIs (RFC 7512) naming a Writ signing key:
 * `pkcs11:token=writ;object=receipts?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:WRIT_PKCS11_PIN`.
 */
import { WritError } from '@writ/core'
import type { PinSource } from './pin.js'

/** The environment variable the PIN is read from when the URI names no `pin-source`. */
export const DEFAULT_PIN_ENV = 'WRIT_PKCS11_PIN'

/** Where a key is: the module, the token's label, the key's label, and where the PIN comes from. */
export interface Pkcs11KeyLocation {
  /** Path of the PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  readonly module: string
  /** The token's label (`CKA_LABEL` of the token, as `C_GetTokenInfo` reports it). */
  readonly token: string
  /** The key pair's label (`CKA_LABEL` of its private and public key objects). */
  readonly key: string
  /** The PIN's source; {@link DEFAULT_PIN_ENV} by default. */
  readonly pin?: PinSource
}

const pathAttributes = new Set(['token', 'object', 'type'])
const queryAttributes = new Set(['module-path', 'pin-source'])

function invalid(message: string, attribute?: string): WritError {
  return new WritError('KEY_INVALID', message, {
    details: attribute === undefined ? {} : { attribute },
  })
}

function decode(value: string, attribute: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw invalid(`The PKCS#11 URI's ${attribute} is not percent-encoded correctly.`, attribute)
  }
}

function attributesOf(
  text: string,
  separator: string,
  allowed: ReadonlySet<string>,
): Map<string, string> {
  const found = new Map<string, string>()
  for (const part of text === '' ? [] : text.split(separator)) {
    const at = part.indexOf('=')
    const name = at === -1 ? part : part.slice(0, at)
    if (name === 'pin-value') {
      throw invalid('A PKCS#11 URI must not carry the PIN: use pin-source (env: or file:).', name)
    }
    if (!allowed.has(name) || at === -1)
      throw invalid(`The PKCS#11 URI attribute ${name} is not supported.`, name)
    if (found.has(name)) throw invalid(`The PKCS#11 URI names ${name} twice.`, name)
    found.set(name, decode(part.slice(at + 1), name))
  }
  return found
}

function pinSourceOf(value: string | undefined): PinSource {
  if (value === undefined) return { env: DEFAULT_PIN_ENV }
  if (value.startsWith('env:') && value.length > 4) return { env: value.slice(4) }
  if (value.startsWith('file:') && value.length > 5) {
    return { file: value.startsWith('file://') ? new URL(value).pathname : value.slice(5) }
  }
  throw invalid('pin-source must be env:NAME or file:PATH.', 'pin-source')
}

/**
 * Reads a PKCS#11 URI. `token` and `object` are required, `type` may only be `private`,
 * `module-path` is required; `pin-value` is refused, as is any other attribute.
 *
 * @throws WritError `KEY_INVALID`
 * @example
 * ```ts
 * const location = parsePkcs11Uri('pkcs11:token=writ;object=receipts?module-path=/usr/lib/softhsm/libsofthsm2.so')
 * ```
 */
export function parsePkcs11Uri(uri: string): Pkcs11KeyLocation {
  if (typeof uri !== 'string' || !uri.startsWith('pkcs11:')) {
    throw invalid('A PKCS#11 URI starts with pkcs11:.')
  }
  const rest = uri.slice('pkcs11:'.length)
  const question = rest.indexOf('?')
  const path = attributesOf(question === -1 ? rest : rest.slice(0, question), ';', pathAttributes)
  const query = attributesOf(question === -1 ? '' : rest.slice(question + 1), '&', queryAttributes)
  const type = path.get('type')
  if (type !== undefined && type !== 'private') throw invalid('type must be private.', 'type')
  const token = path.get('token')
  const key = path.get('object')
  const module = query.get('module-path')
  if (!token) throw invalid('The PKCS#11 URI needs token=LABEL.', 'token')
  if (!key) throw invalid('The PKCS#11 URI needs object=LABEL.', 'object')
  if (!module) throw invalid('The PKCS#11 URI needs ?module-path=PATH.', 'module-path')
  return { module, token, key, pin: pinSourceOf(query.get('pin-source')) }
}

/** Percent-encodes an attribute value, keeping `/` and `:` readable (RFC 7512 allows both). */
function encode(value: string): string {
  return encodeURIComponent(value).replaceAll('%2F', '/').replaceAll('%3A', ':')
}

/** The PKCS#11 URI of `location` (never with a PIN). */
export function formatPkcs11Uri(location: Pkcs11KeyLocation): string {
  const pin = location.pin ?? { env: DEFAULT_PIN_ENV }
  const pinSource = 'env' in pin ? `env:${pin.env}` : `file:${pin.file}`
  return `pkcs11:token=${encode(location.token)};object=${encode(location.key)}?module-path=${encode(location.module)}&pin-source=${encode(pinSource)}`
}
