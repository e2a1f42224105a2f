// The authority's transparency routes: checkpoint notes cosigned by witnesses, and proofs
// that a receipt is in the log and that the log only grew.
import { createMemoryStore } from '@writ/core'
import {
  base64Decode,
  leafHash,
  verifyCheckpointNote,
  verifyConsistency,
  verifyInclusion,
} from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'
import { gateWith, startWitnesses, trustOf, witnessVkey } from './transparency-support.js'

const operatorToken = 'operator-token-for-transparency-tests'
let cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

async function authorityWithWitnesses(witnessCount: number) {
  const store = createMemoryStore()
  const gate = await gateWith(store, 6)
  const { logVerifierKey } = await import('@writ/core')
  const vkey = logVerifierKey(gate.issuer, gate.chainId, gate.keyRing.active.publicJwk)
  const started = await startWitnesses(witnessCount, [vkey])
  cleanups.push(started.stop)
  const authority: ListeningAuthority = await startAuthorityServer({
    gate,
    agents: [],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    witnesses: started.witnesses.map((w) => ({ url: w.server.url, vkey: witnessVkey(w.signer) })),
  })
  cleanups.push(() => authority.close())
  const trust = trustOf(
    [vkey],
    started.witnesses.map((w) => w.signer),
    witnessCount,
  )
  return { gate, store, authority, trust }
}

const get = async (authority: ListeningAuthority, path: string) => fetch(`${authority.url}${path}`)

describe('authority: checkpoint notes and proofs', () => {
  it('issues a checkpoint note the witnesses cosign, and proofs that verify against it', async () => {
    const { authority, trust, store, gate } = await authorityWithWitnesses(2)
    expect((await get(authority, '/v1/chains/main/checkpoint')).status).toBe(404)
    const issued = await fetch(`${authority.url}/v1/checkpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}` },
    })
    expect(issued.status).toBe(201)
    const note = await (await get(authority, '/v1/chains/main/checkpoint')).text()
    const checkpoint = await verifyCheckpointNote(note, trust)
    expect(checkpoint).toMatchObject({ size: 6, origin: 'authority.example/writ/main' })
    expect(checkpoint.witnesses).toHaveLength(2)

    const tokens: string[] = []
    for await (const receipt of store.receipts('main')) tokens.push(receipt.token)
    for (const seq of [0, 3, 5]) {
      const response = await get(authority, `/v1/chains/main/proof/inclusion?seq=${seq}&size=6`)
      const body = (await response.json()) as { leafHash: string; proof: string[] }
      expect(body.leafHash).toBe(Buffer.from(leafHash(tokens[seq]!)).toString('base64'))
      verifyInclusion({
        leaf: leafHash(tokens[seq]!),
        index: seq,
        size: 6,
        proof: body.proof.map((hash) => base64Decode(hash)),
        root: checkpoint.root,
      })
    }

    for (let index = 0; index < 5; index++) await gate.authorize({ action: 'a.b', args: { index } })
    await fetch(`${authority.url}/v1/checkpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}` },
    })
    const next = await verifyCheckpointNote(
      await (await get(authority, '/v1/chains/main/checkpoint')).text(),
      trust,
    )
    const consistency = (await (
      await get(authority, '/v1/chains/main/proof/consistency?from=6&to=11')
    ).json()) as {
      proof: string[]
    }
    verifyConsistency({
      fromSize: 6,
      fromRoot: checkpoint.root,
      toSize: next.size,
      toRoot: next.root,
      proof: consistency.proof.map((hash) => base64Decode(hash)),
    })
  })

  it.each([
    '/v1/chains/main/proof/inclusion?seq=6&size=6',
    '/v1/chains/main/proof/inclusion?seq=0&size=7',
    '/v1/chains/main/proof/inclusion?seq=-1&size=6',
    '/v1/chains/main/proof/inclusion?seq=01&size=6',
    '/v1/chains/main/proof/inclusion?size=6',
    '/v1/chains/main/proof/consistency?from=5&to=3',
    '/v1/chains/main/proof/consistency?from=1&to=99',
  ])('refuses %s with PROOF_INVALID', async (path) => {
    const { authority } = await authorityWithWitnesses(0)
    const response = await get(authority, path)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { code: string }).code).toBe('PROOF_INVALID')
  })
})
