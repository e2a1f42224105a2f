import { KMSClient } from '@aws-sdk/client-kms'
import { compilePolicy, createGate } from '@writ/core'
import { paymentsPolicyText } from '@writ/core/testing'
import { KMS_MAX_MESSAGE_BYTES, openAwsKmsSigner } from '@writ/kms-aws'
import { createKeySet, verifyChain, verifyReceipt } from '@writ/verify'
import { compactVerify, importJWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type FakeKms, startFakeKms } from './fake-kms.js'

let kms: FakeKms
let client: KMSClient

beforeEach(async () => {
  kms = await startFakeKms()
  client = new KMSClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
  })
})
afterEach(async () => {
  client.destroy()
  await kms.close()
})

const transfer = { action: 'payments.transfer', args: { to: 'bob', amount: 5 } }
const gateFor = (keys: Parameters<typeof createGate>[0]['keys'], signerTimeoutMs = 5000) =>
  createGate({
    policy: compilePolicy(paymentsPolicyText, { source: 'payments.yaml' }),
    keys,
    issuer: 'https://writ.test',
    signerTimeoutMs,
  })

describe('openAwsKmsSigner against a local KMS', () => {
  it('signs receipts in KMS (ED25519_SHA_512, RAW) that verify with @writ/verify and jose', async () => {
    const signer = await openAwsKmsSigner({ client, keyId: 'alias/writ' })
    expect(signer.keyArn).toBe(kms.keyArn)
    const gate = gateFor(signer)
    const decisions = await Promise.all(Array.from({ length: 5 }, () => gate.authorize(transfer)))
    const keys = createKeySet(await gate.keys())
    const joseKey = await importJWK({ ...signer.publicJwk }, 'EdDSA')
    for (const decision of decisions) {
      await expect(verifyReceipt(decision.receipt, keys)).resolves.toMatchObject({
        claims: { decision: 'PERMIT' },
      })
      await expect(compactVerify(decision.receipt, joseKey)).resolves.toMatchObject({
        protectedHeader: { kid: signer.kid },
      })
    }
    const tokens: string[] = []
    for await (const receipt of gate.store.receipts('main')) tokens.push(receipt.token)
    await expect(verifyChain(tokens, keys)).resolves.toMatchObject({ valid: true, size: 5 })
    expect(kms.signRequests.every((request) => request['KeyId'] === kms.keyArn)).toBe(true)
  })

  it('refuses a key that is not Ed25519', async () => {
    kms.keySpec = 'ECC_NIST_P256'
    await expect(openAwsKmsSigner({ client, keyId: kms.keyId })).rejects.toMatchObject({
      code: 'KEY_INVALID',
    })
  })

  it('refuses an unknown key with SIGNER_UNAVAILABLE', async () => {
    await expect(openAwsKmsSigner({ client, keyId: 'alias/other' })).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'NotFoundException' },
    })
  })

  it.each([
    ['disabled', 'DisabledException'],
    ['throttle', 'ThrottlingException'],
  ] as const)('fails closed when KMS answers %s, and records nothing', async (mode, reason) => {
    const gate = gateFor(await openAwsKmsSigner({ client, keyId: kms.keyId }))
    await gate.authorize(transfer)
    kms.mode = mode
    await expect(gate.authorize(transfer)).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason },
    })
    const tokens: string[] = []
    for await (const receipt of gate.store.receipts('main')) tokens.push(receipt.token)
    expect(tokens).toHaveLength(1)
  })

  it('fails closed when KMS does not answer before the deadline', async () => {
    const gate = gateFor(await openAwsKmsSigner({ client, keyId: kms.keyId }), 200)
    kms.mode = 'hang'
    await expect(gate.authorize(transfer)).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
    kms.mode = 'sign'
    await expect(gate.authorize(transfer)).resolves.toMatchObject({ decision: 'PERMIT' })
  })

  it('refuses a signing input KMS cannot sign raw', async () => {
    const signer = await openAwsKmsSigner({ client, keyId: kms.keyId })
    await expect(signer.sign(new Uint8Array(KMS_MAX_MESSAGE_BYTES + 1))).rejects.toMatchObject({
      code: 'SIGNER_UNAVAILABLE',
      details: { reason: 'message-too-large' },
    })
  })
})
