import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { createKeyRing } from './key-ring.js'
import { generateSigningKey } from './keys.js'
import {
  checkpointClaims,
  encodeCheckpoint,
  encodeReceipt,
  receiptClaims,
} from './receipt-issuer.js'

const signer = createKeyRing(generateSigningKey()).active

function part(token: string, index: number): string {
  return utf8Decode(base64UrlDecode(token.split('.')[index]!))
}

const content = {
  iss: 'https://writ.test',
  jti: '01890a5d-ac96-774b-bcce-b302099a8057',
  iat: 1_700_000_000,
  exp: 1_700_000_300,
  sub: 'agent-7',
  req: 'request-1',
  decision: 'PERMIT' as const,
  reason: 'RULE_PERMIT',
  rule: 'small',
  policy: { id: 'payments', digest: `sha256:${'a'.repeat(64)}` as const },
  act: { name: 'payments.transfer', args: `sha256:${'b'.repeat(64)}` as const },
}

/** The receipt members in wire order (spec section 2). */
const WIRE_ORDER = 'v iss jti iat exp sub aud req decision reason rule policy act http chain'.split(
  ' ',
)

describe('receipt encoding', () => {
  it('writes exactly the spec header and the claims in the spec order', () => {
    const claims = receiptClaims(
      {
        ...content,
        http: { method: 'POST', uri: 'https://bank.test/t?x=1', body: `sha256:${'c'.repeat(64)}` },
        aud: 'bank',
      },
      { id: 'main', seq: 3, prev: `sha256:${'d'.repeat(64)}` },
    )
    const token = encodeReceipt(claims, signer)
    expect(token.split('.')).toHaveLength(3)
    expect(part(token, 0)).toBe(`{"alg":"EdDSA","typ":"writ-receipt+jwt","kid":"${signer.kid}"}`)
    expect(Object.keys(JSON.parse(part(token, 1)))).toEqual(WIRE_ORDER)
    expect(JSON.parse(part(token, 1))).toEqual(claims)
  })

  it('leaves out aud and http when absent, and writes a null prev at seq 0', () => {
    const claims = receiptClaims(
      { ...content, aud: undefined, http: undefined },
      { id: 'main', seq: 0, prev: null },
    )
    const payload = part(encodeReceipt(claims, signer), 1)
    expect(Object.keys(JSON.parse(payload))).toEqual(
      WIRE_ORDER.filter((member) => member !== 'aud' && member !== 'http'),
    )
    expect(payload).toContain('"chain":{"id":"main","seq":0,"prev":null}')
  })

  it('signs checkpoints with their own typ and member order', () => {
    const token = encodeCheckpoint(
      checkpointClaims({
        iss: 'https://writ.test',
        chain: 'main',
        size: 2,
        head: `sha256:${'e'.repeat(64)}`,
        iat: 5,
      }),
      signer,
    )
    expect(part(token, 0)).toBe(`{"alg":"EdDSA","typ":"writ-checkpoint+jwt","kid":"${signer.kid}"}`)
    expect(part(token, 1)).toBe(
      `{"v":1,"iss":"https://writ.test","chain":"main","size":2,"head":"sha256:${'e'.repeat(64)}","iat":5}`,
    )
  })
})
