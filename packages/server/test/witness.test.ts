// Witnesses (c2sp.org/tlog-witness) against the attacks they exist for, each by its code:
// a fork, a rollback, a history rewritten and re-signed with the authority's own key, a
// forged cosignature and a quorum short by one.
import {
  chainTree,
  createMemoryStore,
  createWitnessPusher,
  generateSigningKey,
  type LocalGate,
  type Store,
  signCheckpointNote,
} from '@writ/core'
import { formatAddCheckpoint, parseVerifierKey, verifyCheckpointNote } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { startWitnessServer } from '../src/witness/witness-server.js'
import { openWitnessState } from '../src/witness/witness-state.js'
import { gateWith, startWitnesses, trustOf, witnessVkey } from './transparency-support.js'

let stop: (() => Promise<void>) | undefined
afterEach(async () => {
  await stop?.()
  stop = undefined
})

const noteOf = (gate: LocalGate, store: Store) =>
  signCheckpointNote({ store, chainId: 'main', issuer: gate.issuer, signer: gate.keyRing.active })

async function setUp(witnessCount: number) {
  const key = generateSigningKey()
  const store = createMemoryStore()
  const gate = await gateWith(store, 5, key)
  const first = await noteOf(gate, store)
  const started = await startWitnesses(witnessCount, [first.vkey])
  stop = started.stop
  const endpoints = started.witnesses.map((w) => ({
    url: w.server.url,
    vkey: witnessVkey(w.signer),
  }))
  const pusherFor = (target: Store) =>
    createWitnessPusher({ store: target, chainId: 'main', witnesses: endpoints })
  const signers = started.witnesses.map((w) => w.signer)
  return { key, store, gate, first, started, pusherFor, signers }
}

describe('witnesses (c2sp.org/tlog-witness)', () => {
  it('cosign each checkpoint that extends the last, durably, and the quorum verifies', async () => {
    const { store, gate, first, pusherFor, signers, started } = await setUp(3)
    const pusher = pusherFor(store)
    expect((await pusher.push(first)).outcomes.map((o) => o.cosigned)).toEqual([true, true, true])
    for (let index = 0; index < 4; index++) await gate.authorize({ action: 'a.b', args: { index } })
    const pushed = await pusher.push(await noteOf(gate, store))
    expect(pushed.outcomes.map((o) => o.cosigned)).toEqual([true, true, true])
    const verified = await verifyCheckpointNote(pushed.note.note, trustOf([first.vkey], signers, 3))
    expect(verified).toMatchObject({ size: 9, origin: 'authority.example/writ/main' })
    expect(verified.witnesses).toHaveLength(3)
    expect((await store.latestCheckpointNote('main'))?.note).toBe(pushed.note.note)
    // What the witness kept (its monitoring endpoint) is the same checkpoint.
    const monitor = await fetch(
      `${started.witnesses[0]!.server.url}/${await originHash('authority.example/writ/main')}/checkpoint`,
    )
    expect(
      await verifyCheckpointNote(await monitor.text(), trustOf([first.vkey], signers, 1)),
    ).toMatchObject({ size: 9 })
  })

  it('refuse a fork: the same key signs another chain of the same size (422, CHECKPOINT_INCONSISTENT)', async () => {
    const { key, store, first, pusherFor } = await setUp(1)
    await pusherFor(store).push(first)
    const forkStore = createMemoryStore()
    const forkGate = await gateWith(forkStore, 5, key)
    const fork = await noteOf(forkGate, forkStore)
    expect(fork.size).toBe(first.size)
    expect(fork.note).not.toBe(first.note)
    const { outcomes } = await pusherFor(forkStore).push(fork)
    expect(outcomes).toEqual([
      { witness: 'witness-0.example/w', cosigned: false, problem: 'HTTP 422' },
    ])
  })

  it('refuse a rollback: a smaller checkpoint after a larger one (400 or 409)', async () => {
    const { store, gate, first, started, pusherFor } = await setUp(1)
    const pusher = pusherFor(store)
    for (let index = 0; index < 3; index++) await gate.authorize({ action: 'a.b', args: { index } })
    await pusher.push(await noteOf(gate, store))
    const url = `${started.witnesses[0]!.server.url}/add-checkpoint`
    const asOld = await fetch(url, {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize: 8, proof: [], note: first.note }),
    })
    expect(asOld.status).toBe(400)
    const asSmall = await fetch(url, {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize: 0, proof: [], note: first.note }),
    })
    expect(asSmall.status).toBe(409)
    expect(asSmall.headers.get('content-type')).toBe('text/x.tlog.size')
    expect(await asSmall.text()).toBe('8\n')
    expect((await pusher.push(first)).outcomes[0]).toMatchObject({ cosigned: false })
  })

  it('refuse a history rewritten and re-signed with the authority’s own key (422)', async () => {
    const { key, store, first, pusherFor } = await setUp(2)
    await pusherFor(store).push(first)
    // The operator rebuilds the chain from scratch, one receipt different, and signs on.
    const rewritten = createMemoryStore()
    const rewrittenGate = await gateWith(rewritten, 8, key)
    const note = await noteOf(rewrittenGate, rewritten)
    const { outcomes } = await pusherFor(rewritten).push(note)
    expect(outcomes.map((o) => o.problem)).toEqual(['HTTP 422', 'HTTP 422'])
    // And the authority itself refuses to sign over a store whose tree left its last note.
    const again = createMemoryStore()
    const againGate = await gateWith(again, 8, key)
    await again.putCheckpointNote(first)
    await expect(noteOf(againGate, again)).rejects.toMatchObject({
      code: 'CHECKPOINT_INCONSISTENT',
    })
  })

  it('refuse a checkpoint from an unknown log (404) or without a trusted log signature (403)', async () => {
    const { started } = await setUp(1)
    const stranger = createMemoryStore()
    const strangerGate = await gateWith(stranger, 2)
    const note = await noteOf(strangerGate, stranger)
    const url = `${started.witnesses[0]!.server.url}/add-checkpoint`
    const unknown = note.note.replace('authority.example/writ/main', 'elsewhere.example/writ/main')
    const asUnknown = await fetch(url, {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize: 0, proof: [], note: unknown }),
    })
    expect(asUnknown.status).toBe(404)
    const badSignature = await fetch(url, {
      method: 'POST',
      body: formatAddCheckpoint({ oldSize: 0, proof: [], note: note.note }),
    })
    expect(badSignature.status).toBe(403)
  })

  it('let a verifier refuse a forged cosignature and a quorum short by one', async () => {
    const { store, first, pusherFor, signers, started } = await setUp(3)
    await started.witnesses[2]!.server.close()
    const { note, outcomes } = await pusherFor(store).push(first)
    expect(outcomes.map((o) => o.cosigned)).toEqual([true, true, false])
    await expect(
      verifyCheckpointNote(note.note, trustOf([first.vkey], signers, 3)),
    ).rejects.toMatchObject({
      code: 'WITNESS_QUORUM_NOT_MET',
    })
    expect(
      (await verifyCheckpointNote(note.note, trustOf([first.vkey], signers, 2))).witnesses,
    ).toHaveLength(2)
    // A cosignature line whose bytes were changed, under a trusted witness's name and key ID.
    const lines = note.note.split('\n')
    const forgedLine = lines.findIndex((line) => line.startsWith('— witness-0.example/w '))
    const line = lines[forgedLine]!
    lines[forgedLine] =
      `${line.slice(0, -6)}${line.slice(-6, -5) === 'A' ? 'B' : 'A'}${line.slice(-5)}`
    await expect(
      verifyCheckpointNote(lines.join('\n'), trustOf([first.vkey], signers, 1)),
    ).rejects.toMatchObject({
      code: 'COSIGNATURE_INVALID',
    })
  })
  it('remember what they cosigned across a restart, and serialize concurrent submissions', async () => {
    const { store, gate, first, started } = await setUp(1)
    const { dir, signer } = started.witnesses[0]!
    await started.witnesses[0]!.server.close()
    const logs = [parseVerifierKey(first.vkey)]
    const restart = () => startWitnessServer({ key: signer, logs, state: openWitnessState(dir) })
    const before = await restart()
    const push = (url: string) =>
      createWitnessPusher({
        store,
        chainId: 'main',
        witnesses: [{ url, vkey: witnessVkey(signer) }],
      })
    expect((await push(before.url).push(first)).outcomes[0]).toMatchObject({ cosigned: true })
    await before.close()
    for (let index = 0; index < 2; index++) await gate.authorize({ action: 'a.b', args: { index } })
    const larger = await noteOf(gate, store)
    const after = await restart()
    try {
      // It still knows size 5: a submission that claims it saw nothing gets 409 and the size.
      const answer = await fetch(`${after.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize: 0, proof: [], note: larger.note }),
      })
      expect(answer.status).toBe(409)
      expect(await answer.text()).toBe('5\n')
      // Two submissions at once from size 5: one is cosigned, the other finds the witness
      // moved on (409), never a rollback to what it saw before.
      const body = formatAddCheckpoint({
        oldSize: 5,
        proof: await chainTree(store, 'main').consistencyProof(5, 7),
        note: larger.note,
      })
      const statuses = await Promise.all(
        [0, 1].map(
          async () => (await fetch(`${after.url}/add-checkpoint`, { method: 'POST', body })).status,
        ),
      )
      expect(statuses.sort()).toEqual([200, 409])
    } finally {
      await after.close()
    }
  })
})

async function originHash(origin: string): Promise<string> {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(origin).digest('hex')
}
