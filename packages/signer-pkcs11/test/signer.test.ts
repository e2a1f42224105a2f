import { createRequire } from 'node:module'
import { compilePolicy, createGate, createMemoryStore } from '@writ/core'
import { createTestAsyncSigner, paymentsPolicyText } from '@writ/core/testing'
import { openPkcs11Signer, type Pkcs11Signer, parsePkcs11Uri } from '@writ/signer-pkcs11'
import { createKeySet, verifyChain, verifyReceipt } from '@writ/verify'
import { compactVerify, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestToken, type TestToken } from '../../../test/support/softhsm.js'

const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js')

/** Asks the token for the private key's CKA_VALUE; returns the PKCS#11 error code it answers. */
function readPrivateValue(test: TestToken): number | undefined {
  const library = new pkcs11js.PKCS11()
  library.load(test.key.module)
  library.C_Initialize()
  try {
    const slot = library
      .C_GetSlotList(true)
      .find((candidate) => library.C_GetTokenInfo(candidate).label.trim() === test.label)
    const session = library.C_OpenSession(slot as Buffer, pkcs11js.CKF_SERIAL_SESSION)
    library.C_Login(session, pkcs11js.CKU_USER, test.pin)
    library.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: 'receipts' },
    ])
    const [key] = library.C_FindObjects(session, 1)
    library.C_FindObjectsFinal(session)
    library.C_GetAttributeValue(session, key as Buffer, [{ type: pkcs11js.CKA_VALUE }])
    return undefined
  } catch (error) {
    return (error as { code?: number }).code
  } finally {
    library.C_Finalize()
  }
}

let token: TestToken
const opened: Pkcs11Signer[] = []

async function open(options: Parameters<typeof openPkcs11Signer>[0]): Promise<Pkcs11Signer> {
  const signer = await openPkcs11Signer(options)
  opened.push(signer)
  return signer
}

beforeAll(async () => {
  token = await createTestToken()
})
afterAll(async () => {
  for (const signer of opened) await signer.close()
  token.dispose()
})

const transfer = { action: 'payments.transfer', args: { to: 'bob', amount: 5 } }
const policy = () => compilePolicy(paymentsPolicyText, { source: 'payments.yaml' })

describe('openPkcs11Signer with a SoftHSM2 token', () => {
  it('signs receipts inside the token that verify with @writ/verify and jose', async () => {
    const signer = await open({ uri: token.uri })
    expect(signer.publicJwk).toEqual(token.publicJwk)
    const store = createMemoryStore()
    const gate = createGate({ policy: policy(), keys: signer, issuer: 'https://writ.test', store })
    const decisions = await Promise.all(Array.from({ length: 12 }, () => gate.authorize(transfer)))
    const keys = createKeySet(await gate.keys())
    for (const decision of decisions) {
      expect(decision.decision).toBe('PERMIT')
      await expect(verifyReceipt(decision.receipt, keys)).resolves.toMatchObject({
        claims: { decision: 'PERMIT' },
      })
      const joseKey = await importJWK({ ...signer.publicJwk }, 'EdDSA')
      await expect(compactVerify(decision.receipt, joseKey)).resolves.toMatchObject({
        protectedHeader: { alg: 'EdDSA', kid: signer.kid },
      })
    }
    const tokens: string[] = []
    for await (const receipt of store.receipts('main')) tokens.push(receipt.token)
    await expect(verifyChain(tokens, keys)).resolves.toMatchObject({ valid: true, size: 12 })
  })

  it('keeps the private key in the token: not extractable, sensitive, asserted by the token', async () => {
    const signer = await open({ uri: token.uri })
    await expect(signer.keyAttributes()).resolves.toEqual({
      extractable: false,
      sensitive: true,
      alwaysSensitive: true,
      neverExtractable: true,
    })
    // Asked directly, in a session of its own, the token refuses to reveal the key's value.
    expect(readPrivateValue(token)).toBe(pkcs11js.CKR_ATTRIBUTE_SENSITIVE)
  })

  it('refuses a wrong PIN with SIGNER_UNAVAILABLE (pin-incorrect)', async () => {
    process.env['WRIT_TEST_WRONG_PIN'] = '0000'
    await expect(
      openPkcs11Signer({ ...token.key, pin: { env: 'WRIT_TEST_WRONG_PIN' } }),
    ).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'pin-incorrect' },
    })
  })

  it('refuses an unset PIN variable, a PIN in the URI, an unknown token or key label', async () => {
    await expect(
      openPkcs11Signer({ ...token.key, pin: { env: 'WRIT_TEST_NO_SUCH_PIN' } }),
    ).rejects.toMatchObject({
      code: 'KEY_MISSING',
    })
    expect(() =>
      parsePkcs11Uri(`${token.uri.split('?')[0]}?module-path=${token.key.module}&pin-value=1234`),
    ).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }))
    await expect(openPkcs11Signer({ ...token.key, token: 'no-such-token' })).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'token-missing' },
    })
    await expect(openPkcs11Signer({ ...token.key, key: 'no-such-key' })).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'key-missing' },
    })
  })

  it('fails closed when the token hangs (its process stopped), then recovers with a new session', async () => {
    const signer = await open({ uri: token.uri, timeoutMs: 3000 })
    const gate = createGate({
      policy: policy(),
      keys: signer,
      issuer: 'https://writ.test',
      signerTimeoutMs: 10_000,
      timeoutMs: 30_000,
    })
    await expect(gate.authorize(transfer)).resolves.toMatchObject({ decision: 'PERMIT' })
    const pid = signer.processId
    expect(pid).toBeTypeOf('number')
    process.kill(pid as number, 'SIGSTOP')
    await expect(gate.authorize(transfer)).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'timeout' },
    })
    // The stopped child was killed; the next decision logs in again in a new one.
    await expect(gate.authorize(transfer)).resolves.toMatchObject({ decision: 'PERMIT' })
    expect(signer.processId).not.toBe(pid)
    const tokens: string[] = []
    for await (const receipt of gate.store.receipts('main')) tokens.push(receipt.token)
    await expect(verifyChain(tokens, gate.verifyKeys())).resolves.toMatchObject({
      valid: true,
      size: 2,
    })
  })
})

describe('a removed token', () => {
  it('fails closed with SIGNER_UNAVAILABLE and records nothing', async () => {
    const own = await createTestToken('writ-removable')
    try {
      const signer = await open({ uri: own.uri })
      const gate = createGate({ policy: policy(), keys: signer, issuer: 'https://writ.test' })
      await expect(gate.authorize(transfer)).resolves.toMatchObject({ decision: 'PERMIT' })
      own.removeToken()
      // The session dies with the token (here: its process ends, as when a device is pulled).
      process.kill(signer.processId as number, 'SIGKILL')
      await expect(gate.authorize(transfer)).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
      await expect(gate.authorize(transfer)).rejects.toMatchObject({
        code: 'SIGNER_UNAVAILABLE',
        details: { reason: 'token-missing' },
      })
      await expect(gate.checkpoint()).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
      const tokens: string[] = []
      for await (const receipt of gate.store.receipts('main')) tokens.push(receipt.token)
      expect(tokens).toHaveLength(1)
    } finally {
      own.dispose()
    }
  })
})

describe('the test signer', () => {
  it('is interchangeable with the token signer', () => {
    expect(createTestAsyncSigner().asynchronous).toBe(true)
  })
})
