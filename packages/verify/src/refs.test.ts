import { describe, expect, it } from 'vitest'
import { asyncCodeOf } from '../test/codes.js'
import { createTestKey, receiptClaims, signReceipt } from '../test/helpers.js'
import { createKeySet } from './key-set.js'
import { verifyReceipt } from './receipt.js'

const key = createTestKey()
const keys = createKeySet({ keys: [key.jwk] })
const digest = `sha256:${'ab'.repeat(32)}`

function withRefs(refs: unknown): string {
  const claims = receiptClaims()
  claims['refs'] = refs
  return signReceipt(key, claims)
}

describe('verifyReceipt: the refs claim', () => {
  it('accepts named digests and returns them', async () => {
    const verified = await verifyReceipt(withRefs({ 'mcp.tool': digest }), keys)
    expect(verified.claims.refs).toEqual({ 'mcp.tool': digest })
  })

  it.each<[string, unknown]>([
    ['not an object', [digest]],
    ['empty', {}],
    ['a value that is not a digest', { 'mcp.tool': 'sha256:AB' }],
    ['a name with a space', { 'mcp tool': digest }],
    ['a name longer than 64 characters', { ['x'.repeat(65)]: digest }],
    ['more than 16 names', Object.fromEntries([...Array(17).keys()].map((i) => [`r${i}`, digest]))],
  ])('refuses refs that are %s (CLAIMS_INVALID)', async (_name, refs) => {
    expect(await asyncCodeOf(() => verifyReceipt(withRefs(refs), keys))).toBe('CLAIMS_INVALID')
  })
})
