/**
 * The permit relay: one decision per tool call, handed to the gated fetch once, for
 * exactly the request it binds. Real gate, real policy, real services on 127.0.0.1.
 */
import { createGate, createMemoryStore, generateSigningKey, loadPolicyFile } from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { canonicalize } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POLICY_PATH } from '../src/paths.js'
import { createPermitRelay } from '../src/permit-relay.js'
import { routeOf, type ServiceDirectory } from '../src/routes.js'
import { type Bank, startBank } from '../src/services/bank.js'

let bank: Bank
let services: ServiceDirectory

async function newRelay() {
  const gate = createGate({
    policy: await loadPolicyFile(POLICY_PATH),
    keys: generateSigningKey(),
    issuer: 'urn:test',
    store: createMemoryStore(),
  })
  // The bank trusts this gate's published keys only for the tests that need it.
  return { gate, relay: createPermitRelay(gate, (action, args) => routeOf(services, action, args)) }
}

beforeAll(async () => {
  bank = await startBank({ keys: [] })
  services = { bank: bank.origin, warehouse: 'http://127.0.0.1:9', ehr: 'http://127.0.0.1:9' }
})

afterAll(async () => {
  await bank.close()
})

const transfer = { to: 'acme-supplies', amount: 40, currency: 'EUR', memo: 'INV-1' }

describe('the permit relay', () => {
  it('binds the HTTP request the tool will make into the one receipt', async () => {
    const { relay } = await newRelay()
    const decision = await relay.toolGate.authorize({
      action: 'payments.transfer',
      args: JSON.stringify(transfer),
      agent: 'billing-agent',
    })
    expect(decision.decision).toBe('PERMIT')
    expect(decision.claims.http?.method).toBe('POST')
    expect(decision.claims.http?.uri).toBe(`${bank.origin}/transfers`)
    expect(decision.claims.aud).toBe(bank.origin)
  })

  it('hands a PERMIT to the gated fetch once, and only for the same request', async () => {
    const { relay } = await newRelay()
    await relay.toolGate.authorize({ action: 'payments.transfer', args: transfer })
    const sent: Request[] = []
    const gatedFetch = createGatedFetch(relay.wireGate, {
      action: 'payments.transfer',
      args: 'body',
      fetch: async (input) => {
        sent.push(input as Request)
        return new Response('{}', { status: 201 })
      },
    })
    const post = (body: unknown) =>
      gatedFetch(`${bank.origin}/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: canonicalize(body),
      })

    // Other arguments than those decided: refused, never sent.
    const changed = await post({ ...transfer, amount: 400 })
    expect(changed.status).toBe(403)
    expect(((await changed.json()) as { code: string }).code).toBe('GATE_ERROR')
    expect(sent).toHaveLength(0)

    const first = await post(transfer)
    expect(first.status).toBe(201)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.headers.get('writ-receipt')).toMatch(/^ey/)

    // The same request again: the permit was handed over already.
    const again = await post(transfer)
    expect(again.status).toBe(403)
    expect(((await again.json()) as { code: string }).code).toBe('GATE_ERROR')
    expect(sent).toHaveLength(1)
  })

  it('hands over nothing for a refusal', async () => {
    const { relay } = await newRelay()
    const refusal = await relay.toolGate.authorize({
      action: 'payments.transfer',
      args: { ...transfer, to: 'mallory-holdings' },
    })
    expect(refusal.decision).toBe('DENY')
    await expect(
      relay.wireGate.authorize({
        action: 'payments.transfer',
        args: { ...transfer, to: 'mallory-holdings' },
        audience: bank.origin,
        http: refusal.claims.http ?? { method: 'POST', uri: '', body: 'sha256:0' as never },
      }),
    ).rejects.toMatchObject({ code: 'GATE_ERROR' })
  })

  it('lets the gate refuse arguments that are not I-JSON, with a receipt', async () => {
    const { relay } = await newRelay()
    const decision = await relay.toolGate.authorize({
      action: 'payments.transfer',
      args: '{"to":"acme-supplies","amount":40,"amount":4000,"currency":"EUR","memo":"x"}',
    })
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('INPUT_INVALID')
    expect(decision.claims.http).toBeUndefined()
  })

  it('never lets the bank execute without a receipt from its trusted keys', async () => {
    const response = await fetch(`${bank.origin}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(transfer),
    })
    expect(response.status).toBe(401)
    expect(((await response.json()) as { code: string }).code).toBe('RECEIPT_MISSING')
    expect(bank.state().transfers).toEqual([])
    expect(bank.refusals.at(-1)?.code).toBe('RECEIPT_MISSING')
  })
})
