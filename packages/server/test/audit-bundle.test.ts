// The audit bundle, checked with nothing but the bundle and a trust file: every detection
// the issue asks for, each by its code.
import {
  createMemoryStore,
  createWitnessPusher,
  exportAuditBundle,
  generateSigningKey,
  type LocalGate,
  type Store,
  signCheckpointNote,
} from '@writ/core'
import { type AuditBundle, type BundleTrust, verifyBundle } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gateWith, startWitnesses, witnessVkey } from './transparency-support.js'

let stop: (() => Promise<void>) | undefined
afterAll(async () => stop?.())

interface Scene {
  readonly key: ReturnType<typeof generateSigningKey>
  readonly gate: LocalGate
  readonly store: Store
  readonly bundle: AuditBundle
  readonly trust: BundleTrust
  readonly firstNote: string
}

let scene: Scene

const noteOf = (gate: LocalGate, store: Store) =>
  signCheckpointNote({ store, chainId: 'main', issuer: gate.issuer, signer: gate.keyRing.active })

const bundleOf = async (
  gate: LocalGate,
  store: Store,
  extra: { from?: number; to?: number } = {},
) =>
  exportAuditBundle({
    store,
    chainId: 'main',
    keys: await gate.keys(),
    policies: [gate.policy],
    ...extra,
  })

beforeAll(async () => {
  const key = generateSigningKey()
  const store = createMemoryStore()
  const gate = await gateWith(store, 5, key)
  const first = await noteOf(gate, store)
  const started = await startWitnesses(3, [first.vkey])
  stop = started.stop
  // The third witness is down: two cosignatures of three.
  await started.witnesses[2]!.server.close()
  const endpoints = started.witnesses.map((w) => ({
    url: w.server.url,
    vkey: witnessVkey(w.signer),
  }))
  const push = (target: Store) =>
    createWitnessPusher({ store: target, chainId: 'main', witnesses: endpoints }).push
  const pushed = await push(store)(first)
  for (let index = 0; index < 3; index++) await gate.authorize({ action: 'a.b', args: { index } })
  await push(store)(await noteOf(gate, store))
  const trust: BundleTrust = {
    keys: await gate.keys(),
    logs: [first.vkey],
    witnesses: endpoints.map((endpoint) => endpoint.vkey),
    quorum: 2,
  }
  scene = {
    key,
    gate,
    store,
    bundle: await bundleOf(gate, store),
    trust,
    firstNote: pushed.note.note,
  }
})

const edit = (bundle: AuditBundle, change: Partial<AuditBundle>): string =>
  JSON.stringify({ ...bundle, ...change })

describe('audit bundle: what it proves', () => {
  it('reaches witnessed with the quorum, and names every step it reached', async () => {
    const report = await verifyBundle(JSON.stringify(scene.bundle), JSON.stringify(scene.trust))
    expect(report).toMatchObject({ assurance: 'witnessed', chain: 'main', receipts: 8 })
    expect(report.problem).toBeUndefined()
    expect(report.checkpoint).toMatchObject({ size: 8, origin: 'authority.example/writ/main' })
    expect(await verifyBundle(scene.bundle, { keys: scene.trust.keys })).toMatchObject({
      assurance: 'signed',
    })
    const noWitnesses = { ...scene.trust, witnesses: [], quorum: 0 }
    expect(await verifyBundle(scene.bundle, noWitnesses)).toMatchObject({
      assurance: 'checkpointed',
    })
  })

  it('proves a part of the chain with inclusion proofs', async () => {
    const part = await bundleOf(scene.gate, scene.store, { from: 2, to: 6 })
    expect(part.inclusion).toHaveLength(4)
    expect(await verifyBundle(part, scene.trust)).toMatchObject({
      assurance: 'witnessed',
      receipts: 4,
    })
    const swapped = {
      ...part,
      inclusion: [part.inclusion![1]!, part.inclusion![0]!, ...part.inclusion!.slice(2)],
    }
    expect((await verifyBundle(swapped, scene.trust)).problem).toMatchObject({
      code: 'PROOF_INVALID',
      seq: 2,
    })
  })
})

describe('audit bundle: detections, by code', () => {
  it('a quorum short by one: WITNESS_QUORUM_NOT_MET, still checkpointed', async () => {
    const report = await verifyBundle(scene.bundle, { ...scene.trust, quorum: 3 })
    expect(report).toMatchObject({
      assurance: 'checkpointed',
      problem: { code: 'WITNESS_QUORUM_NOT_MET' },
    })
  })

  it('an edited receipt: SIGNATURE_INVALID at its seq', async () => {
    const receipts = [...scene.bundle.receipts]
    const [header, claims, signature] = receipts[4]!.split('.') as [string, string, string]
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { decision: string }
    decoded.decision = decoded.decision === 'PERMIT' ? 'DENY' : 'PERMIT'
    receipts[4] = `${header}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`
    const report = await verifyBundle(edit(scene.bundle, { receipts }), scene.trust)
    expect(report).toMatchObject({
      assurance: 'none',
      problem: { code: 'SIGNATURE_INVALID', seq: 4 },
    })
  })

  it('a receipt missing from the bundle: CHAIN_GAP at its seq', async () => {
    const receipts = scene.bundle.receipts.filter((_, seq) => seq !== 3)
    const report = await verifyBundle(edit(scene.bundle, { receipts }), scene.trust)
    expect(report).toMatchObject({ assurance: 'none', problem: { code: 'CHAIN_GAP', seq: 3 } })
  })

  it('a receipt missing from the tree (a checkpoint of other leaves): PROOF_INVALID', async () => {
    // The same key signs a checkpoint of another chain of the same size: the receipts carried
    // are not the leaves of its tree.
    const other = createMemoryStore()
    const otherGate = await gateWith(other, 8, scene.key)
    const foreign = await noteOf(otherGate, other)
    const report = await verifyBundle(edit(scene.bundle, { checkpoint: foreign.note }), {
      ...scene.trust,
      quorum: 0,
      witnesses: [],
    })
    expect(report).toMatchObject({ assurance: 'signed', problem: { code: 'PROOF_INVALID' } })
  })

  it('a fork: two checkpoints of one size with different roots: CHECKPOINT_INCONSISTENT', async () => {
    const fork = createMemoryStore()
    const forkGate = await gateWith(fork, 8, scene.key)
    await noteOf(forkGate, fork)
    const forkBundle = await bundleOf(forkGate, fork)
    // The auditor kept the real checkpoint of size 8; the fork's bundle is signed by the same key.
    const kept = scene.bundle.checkpoint!
    const report = await verifyBundle(forkBundle, {
      ...scene.trust,
      quorum: 0,
      checkpoints: [kept],
    })
    expect(report).toMatchObject({
      assurance: 'signed',
      problem: { code: 'CHECKPOINT_INCONSISTENT' },
    })
  })

  it('a rollback: a bundle older than a checkpoint kept outside: CHECKPOINT_ROLLBACK', async () => {
    const older = {
      ...scene.bundle,
      receipts: scene.bundle.receipts.slice(0, 5),
      checkpoint: scene.firstNote,
    }
    const report = await verifyBundle(older, {
      ...scene.trust,
      checkpoints: [scene.bundle.checkpoint!],
    })
    expect(report).toMatchObject({ assurance: 'signed', problem: { code: 'CHECKPOINT_ROLLBACK' } })
  })

  it('history rewritten and re-signed with the authority’s own key, caught by a kept checkpoint', async () => {
    const rewritten = createMemoryStore()
    const rewrittenGate = await gateWith(rewritten, 9, scene.key)
    await noteOf(rewrittenGate, rewritten)
    const bundle = await bundleOf(rewrittenGate, rewritten)
    // Every receipt and the checkpoint verify under the authority's key…
    expect(await verifyBundle(bundle, { ...scene.trust, quorum: 0, witnesses: [] })).toMatchObject({
      assurance: 'checkpointed',
    })
    // …but not against the checkpoint of size 5 an auditor kept, nor without the witnesses.
    const report = await verifyBundle(bundle, { ...scene.trust, checkpoints: [scene.firstNote] })
    expect(report).toMatchObject({
      assurance: 'signed',
      problem: { code: 'CHECKPOINT_INCONSISTENT' },
    })
    const unwitnessed = await verifyBundle(bundle, scene.trust)
    expect(unwitnessed).toMatchObject({ problem: { code: 'WITNESS_QUORUM_NOT_MET' } })
  })

  it('a forged cosignature: COSIGNATURE_INVALID', async () => {
    const lines = scene.bundle.checkpoint!.split('\n')
    const at = lines.findIndex((line) => line.startsWith('— witness-1.example/w '))
    const line = lines[at]!
    lines[at] = `${line.slice(0, -8)}${line.slice(-8, -7) === 'A' ? 'B' : 'A'}${line.slice(-7)}`
    const report = await verifyBundle(
      edit(scene.bundle, { checkpoint: lines.join('\n') }),
      scene.trust,
    )
    expect(report).toMatchObject({ assurance: 'signed', problem: { code: 'COSIGNATURE_INVALID' } })
  })

  it('an edited policy document, an untrusted log, a broken file: by code', async () => {
    const [digest, document] = Object.entries(scene.bundle.policies)[0]!
    const policies = { [digest]: { ...document, id: 'something-else' } }
    expect((await verifyBundle(edit(scene.bundle, { policies }), scene.trust)).problem?.code).toBe(
      'BUNDLE_INVALID',
    )
    const stranger = await noteOf(await gateWith(createMemoryStore(), 1), createMemoryStore())
    expect(
      (await verifyBundle(scene.bundle, { ...scene.trust, logs: [stranger.vkey] })).problem?.code,
    ).toBe('KEY_UNKNOWN')
    expect((await verifyBundle('{', scene.trust)).problem?.code).toBe('BUNDLE_INVALID')
    expect((await verifyBundle(scene.bundle, '[]')).problem?.code).toBe('TRUST_INVALID')
  })
})
