import { describe, expect, it } from 'vitest'
import { endOfWalk, linkProblem, passCheckpoints, startWalk } from './chain.js'
import type { VerifiedCheckpoint } from './checkpoint.js'
import type { Digest } from './types.js'

const head = (n: number) => `sha256:${String(n).padStart(64, '0')}` as Digest
const checkpoint = (index: number, size: number, at: Digest | null) => ({
  index,
  checkpoint: {
    claims: { chain: 'c', size, head: at, iat: index },
  } as unknown as VerifiedCheckpoint,
})

describe('linkProblem', () => {
  const walk = { ...startWalk([], 'c'), position: 2, previous: head(1) }
  it.each([
    [{ id: 'other', seq: 2, prev: head(1) }, 'CHAIN_ID_MISMATCH'],
    [{ id: 'c', seq: 3, prev: head(1) }, 'CHAIN_GAP'],
    [{ id: 'c', seq: 1, prev: head(1) }, 'CHAIN_PREV_MISMATCH'],
    [{ id: 'c', seq: 2, prev: head(9) }, 'CHAIN_PREV_MISMATCH'],
  ])('refuses %o with %s at the expected position', (link, code) => {
    expect(linkProblem(link, walk)).toMatchObject({ valid: false, code, seq: 2, verified: 2 })
  })
  it('accepts the link that continues the chain', () => {
    expect(linkProblem({ id: 'c', seq: 2, prev: head(1) }, walk)).toBeUndefined()
  })
})

describe('the walk over checkpoints', () => {
  it('passes checkpoints of size 0 at the start and reports a truncated tail at the end', () => {
    const walk = startWalk([checkpoint(0, 3, head(3)), checkpoint(1, 0, null)], 'c')
    expect(walk.next).toBe(1)
    expect(endOfWalk(walk)).toMatchObject({ code: 'CHECKPOINT_MISMATCH', seq: 0, checkpoint: 0 })
  })

  it('turns a contradicted checkpoint into a rollback when a larger one vouches for the receipts', () => {
    const walk = startWalk([checkpoint(0, 1, head(7)), checkpoint(1, 2, head(2))], 'c')
    walk.position = 1
    walk.previous = head(1)
    expect(passCheckpoints(walk)).toBeUndefined()
    expect(walk.contradicted).toMatchObject({ code: 'CHECKPOINT_MISMATCH', seq: 0, checkpoint: 0 })
    walk.position = 2
    walk.previous = head(2)
    expect(passCheckpoints(walk)).toMatchObject({ code: 'CHECKPOINT_ROLLBACK', checkpoint: 0 })
  })

  it('reports a valid chain with its size and head', () => {
    const walk = startWalk([], null)
    walk.position = 1
    walk.previous = head(1)
    expect(endOfWalk(walk)).toEqual({ valid: true, chainId: null, size: 1, head: head(1) })
  })
})
