import type { ChainPosition, IssuedReceipt, LimitCheck } from '@writ/core'
import type { ReceiptClaims } from '@writ/verify'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { checkIssued, sortedLimits } from './postgres-store.js'

const position: ChainPosition = { chainId: 'c1', seq: 3, prev: null }
const limit = (key: string): LimitCheck => ({ id: key, key, windowSeconds: 60, max: 10, amount: 1 })

function issued(
  chain: { id: string; seq: number; prev: string | null },
  decision: 'PERMIT' | 'DENY',
  reserve: boolean,
): IssuedReceipt {
  return { token: 't', claims: { chain, decision } as unknown as ReceiptClaims, reserve }
}

function codeOf(run: () => void): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return WritError.isInstance(error) ? error.code : 'not a WritError'
  }
}

describe('checkIssued', () => {
  it('accepts a receipt for the locked position', () => {
    expect(
      codeOf(() =>
        checkIssued(issued({ id: 'c1', seq: 3, prev: null }, 'PERMIT', true), position, null),
      ),
    ).toBeUndefined()
  })

  it('accepts a DENY that reserves nothing past an exceeded limit', () => {
    const deny = issued({ id: 'c1', seq: 3, prev: null }, 'DENY', false)
    expect(codeOf(() => checkIssued(deny, position, limit('a')))).toBeUndefined()
  })

  it.each([
    ['another chain', { id: 'c2', seq: 3, prev: null }],
    ['another sequence number', { id: 'c1', seq: 4, prev: null }],
    ['another previous digest', { id: 'c1', seq: 3, prev: 'sha256:x' }],
  ])('refuses a receipt for %s', (_name, chain) => {
    expect(codeOf(() => checkIssued(issued(chain, 'PERMIT', true), position, null))).toBe(
      'STORE_CONFLICT',
    )
  })

  it('refuses a PERMIT, or a reservation, past an exceeded limit', () => {
    const at = { id: 'c1', seq: 3, prev: null }
    expect(codeOf(() => checkIssued(issued(at, 'PERMIT', false), position, limit('a')))).toBe(
      'STORE_CONFLICT',
    )
    expect(codeOf(() => checkIssued(issued(at, 'DENY', true), position, limit('a')))).toBe(
      'STORE_CONFLICT',
    )
  })
})

describe('sortedLimits', () => {
  it('orders limits by key without touching the input', () => {
    const input = [limit('b'), limit('c'), limit('a')]
    expect(sortedLimits(input).map((each) => each.key)).toEqual(['a', 'b', 'c'])
    expect(input.map((each) => each.key)).toEqual(['b', 'c', 'a'])
  })
})
