import { describe, expect, it } from 'vitest'
import { createMemoryStore } from './memory-store.js'
import { createPaymentsGate } from './testing/payments-fixture.js'
import type { Store, StoredReceipt } from './types.js'
import { verifyStore } from './verify-store.js'

async function gateWithReceipts(count: number) {
  const store = createMemoryStore()
  const gate = createPaymentsGate({ store })
  for (let amount = 1; amount <= count; amount++)
    await gate.authorize({ action: 'payments.transfer', args: { to: 'acme', amount } })
  return { gate, store, keys: await gate.keys() }
}

/** The store with its receipts read through `edit`: what an attacker with the table can do. */
function tampered(store: Store, edit: (receipts: StoredReceipt[]) => StoredReceipt[]): Store {
  return {
    ...store,
    latestCheckpoint: (chainId) => store.latestCheckpoint(chainId),
    async *receipts(chainId) {
      const all: StoredReceipt[] = []
      for await (const stored of store.receipts(chainId)) all.push(stored)
      yield* edit(all)
    },
  }
}

describe('verifyStore', () => {
  it("verifies the gate's chain, main by default, with its size and head", async () => {
    const { store, keys } = await gateWithReceipts(3)
    await expect(verifyStore(store, keys)).resolves.toMatchObject({
      valid: true,
      chainId: 'main',
      size: 3,
    })
  })

  it('names the chain it was asked about even when it is empty, never null', async () => {
    const { store, keys } = await gateWithReceipts(0)
    await expect(verifyStore(store, keys, { chainId: 'other' })).resolves.toMatchObject({
      valid: true,
      chainId: 'other',
      size: 0,
    })
  })

  it.each([
    [
      'a deleted receipt',
      (all: StoredReceipt[]) => all.filter((_, index) => index !== 1),
      'CHAIN_GAP',
    ],
    [
      'two receipts swapped',
      (all: StoredReceipt[]) => [all[0]!, all[2]!, all[1]!],
      'CHAIN_PREV_MISMATCH',
    ],
  ])('finds %s', async (_label, edit, code) => {
    const { store, keys } = await gateWithReceipts(3)
    await expect(verifyStore(tampered(store, edit), keys)).resolves.toMatchObject({
      valid: false,
      code,
      seq: 1,
    })
  })

  it("catches a cut tail against the store's own last checkpoint, and not when told to ignore it", async () => {
    const { gate, store, keys } = await gateWithReceipts(3)
    await gate.checkpoint()
    const cut = tampered(store, (all) => all.slice(0, 2))
    await expect(verifyStore(cut, keys)).resolves.toMatchObject({ code: 'CHECKPOINT_MISMATCH' })
    await expect(verifyStore(cut, keys, { storedCheckpoint: false })).resolves.toMatchObject({
      valid: true,
      size: 2,
    })
  })

  it('checks the checkpoints kept elsewhere', async () => {
    const { gate, store, keys } = await gateWithReceipts(2)
    const kept = (await gate.checkpoint()).token
    const cut = tampered(store, (all) => all.slice(0, 1))
    const report = await verifyStore(cut, keys, { checkpoints: [kept], storedCheckpoint: false })
    expect(report).toMatchObject({ valid: false, code: 'CHECKPOINT_MISMATCH' })
  })
})
