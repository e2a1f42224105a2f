/**
 * The child process that holds the PKCS#11 session. It loads the module, logs in with
 * the PIN the parent sends over IPC, finds the key by label and signs with `CKM_EDDSA`.
 * It answers one request at a time, in order; the parent bounds every request with a
 * timer and kills this process when the token stops answering.
 */
import { createRequire } from 'node:module'
import type * as Pkcs11 from 'pkcs11js'
import {
  CKK_EC_EDWARDS,
  CKM_EC_EDWARDS_KEY_PAIR_GEN,
  CKM_EDDSA,
  ED25519_PARAMS,
  type KeyAttributes,
  type TokenFailure,
  type TokenLogin,
  type TokenRequest,
  type TokenResponse,
} from './protocol.js'

// pkcs11js is a CommonJS native addon: loaded with require, typed from its declarations.
const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11

class Refusal extends Error {
  constructor(
    readonly reason: TokenFailure,
    message: string,
    readonly pkcs11Code?: number,
  ) {
    super(message)
  }
}

interface Session {
  readonly library: Pkcs11.PKCS11
  readonly handle: Pkcs11.Handle
}

let session: Session | undefined
let privateKey: Pkcs11.Handle | undefined

const removedCodes = new Set([
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_DEVICE_ERROR,
])

function login(request: TokenLogin): null {
  const library = new pkcs11js.PKCS11()
  try {
    library.load(request.module)
  } catch (error) {
    throw new Refusal('module-unloadable', `The PKCS#11 module cannot be loaded: ${String(error)}`)
  }
  try {
    library.C_Initialize()
  } catch (error) {
    // SoftHSM2, for one, refuses to start when its token folder is gone.
    throw new Refusal('token-missing', `The PKCS#11 module cannot start: ${String(error)}`)
  }
  const slot = library
    .C_GetSlotList(true)
    .find(
      (candidate: Pkcs11.Handle) =>
        library.C_GetTokenInfo(candidate).label.trim() === request.token,
    )
  if (slot === undefined) throw new Refusal('token-missing', 'No token has that label.')
  const handle = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
  try {
    library.C_Login(handle, pkcs11js.CKU_USER, request.pin)
  } catch (error) {
    const code = (error as { code?: number }).code
    if (code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
      // Another session of this process logged in already: the PIN is not checked again.
    } else if (code === pkcs11js.CKR_PIN_INCORRECT) {
      throw new Refusal('pin-incorrect', 'The token refused the PIN.', code)
    } else if (code === pkcs11js.CKR_PIN_LOCKED) {
      throw new Refusal('pin-locked', 'The token has locked the PIN.', code)
    } else throw error
  }
  session = { library, handle }
  return null
}

function current(): Session {
  if (session === undefined) throw new Refusal('token-error', 'Not logged in.')
  return session
}

function findOne(objectClass: number, label: string): Pkcs11.Handle | undefined {
  const { library, handle } = current()
  library.C_FindObjectsInit(handle, [
    { type: pkcs11js.CKA_CLASS, value: objectClass },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
  ])
  const found = library.C_FindObjects(handle, 2)
  library.C_FindObjectsFinal(handle)
  if (found.length > 1) throw new Refusal('key-ambiguous', 'Several keys have that label.')
  return found[0]
}

/** The 32-byte public key of an Ed25519 public key object (`CKA_EC_POINT`, DER-wrapped or raw). */
function publicKeyOf(object: Pkcs11.Handle): Uint8Array {
  const { library, handle } = current()
  const [point] = library.C_GetAttributeValue(handle, object, [{ type: pkcs11js.CKA_EC_POINT }])
  const value = point?.value
  if (!(value instanceof Uint8Array)) throw new Refusal('key-invalid', 'The key has no EC point.')
  if (value.length === 34 && value[0] === 0x04 && value[1] === 0x20) return value.subarray(2)
  if (value.length === 32) return value
  throw new Refusal('key-invalid', 'The key is not an Ed25519 key.')
}

function find(label: string): Uint8Array {
  const privateHandle = findOne(pkcs11js.CKO_PRIVATE_KEY, label)
  const publicHandle = findOne(pkcs11js.CKO_PUBLIC_KEY, label)
  if (privateHandle === undefined || publicHandle === undefined) {
    throw new Refusal('key-missing', 'The token has no Ed25519 key pair with that label.')
  }
  privateKey = privateHandle
  return Uint8Array.from(publicKeyOf(publicHandle))
}

function generate(label: string): Uint8Array {
  if (findOne(pkcs11js.CKO_PRIVATE_KEY, label) !== undefined) {
    throw new Refusal('key-exists', 'The token already has a key with that label.')
  }
  const { library, handle } = current()
  const pair = library.C_GenerateKeyPair(
    handle,
    { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(ED25519_PARAMS) },
    ],
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
      // The private key never leaves the token, not even wrapped under another key.
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    ],
  )
  return Uint8Array.from(publicKeyOf(pair.publicKey))
}

function sign(data: Uint8Array): Uint8Array {
  const { library, handle } = current()
  if (privateKey === undefined) throw new Refusal('key-missing', 'No key was found yet.')
  library.C_SignInit(handle, { mechanism: CKM_EDDSA }, privateKey)
  return Uint8Array.from(library.C_Sign(handle, Buffer.from(data), Buffer.alloc(64)))
}

function attributes(): KeyAttributes {
  const { library, handle } = current()
  if (privateKey === undefined) throw new Refusal('key-missing', 'No key was found yet.')
  const values = library.C_GetAttributeValue(handle, privateKey, [
    { type: pkcs11js.CKA_EXTRACTABLE },
    { type: pkcs11js.CKA_SENSITIVE },
    { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
    { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
  ])
  const flag = (index: number) => (values[index]?.value as Uint8Array | undefined)?.[0] === 1
  return {
    extractable: flag(0),
    sensitive: flag(1),
    alwaysSensitive: flag(2),
    neverExtractable: flag(3),
  }
}

function run(request: TokenRequest): unknown {
  switch (request.op) {
    case 'login':
      return login(request.login)
    case 'find':
      return find(request.label)
    case 'generate':
      return generate(request.label)
    case 'sign':
      return sign(request.data)
    case 'attributes':
      return attributes()
  }
}

function failureOf(id: number, error: unknown): TokenResponse {
  if (error instanceof Refusal) {
    return {
      id,
      ok: false,
      reason: error.reason,
      message: error.message,
      ...(error.pkcs11Code === undefined ? {} : { pkcs11Code: error.pkcs11Code }),
    }
  }
  const code = (error as { code?: unknown }).code
  const pkcs11Code = typeof code === 'number' ? code : undefined
  const reason =
    pkcs11Code !== undefined && removedCodes.has(pkcs11Code) ? 'token-removed' : 'token-error'
  return {
    id,
    ok: false,
    reason,
    message: error instanceof Error ? error.message : String(error),
    ...(pkcs11Code === undefined ? {} : { pkcs11Code }),
  }
}

process.on('message', (message: TokenRequest) => {
  let response: TokenResponse
  try {
    response = { id: message.id, ok: true, value: run(message) }
  } catch (error) {
    response = failureOf(message.id, error)
  }
  process.send?.(response)
})
// The parent going away ends the session.
process.on('disconnect', () => process.exit(0))
