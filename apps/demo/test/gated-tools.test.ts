/**
 * The agents' tools: each tool call is carried out as one HTTP request that Writ decides
 * as that request (spec section 10), once; the bank runs exactly what was decided.
 * Real gate, real policy, a real bank on 127.0.0.1.
 */
import {
  type ActionRequest,
  createGate,
  createMemoryStore,
  type Decision,
  generateSigningKey,
  loadPolicyFile,
  type PermitDecision,
} from '@writ/core'
import { digestOf, httpRequestView } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { POLICY_PATH } from '../src/paths.js'
import { recordDecisions } from '../src/recorded-gate.js'
import type { ServiceDirectory } from '../src/routes.js'
import { type Bank, startBank } from '../src/services/bank.js'
import { Timeline } from '../src/timeline.js'
import { sendAction, type Toolkit } from '../src/tools.js'

let bank: Bank
let services: ServiceDirectory
let toolkit: Toolkit
let decisions: Decision[]
const signingKey = generateSigningKey()

beforeAll(async () => {
  const gate = createGate({
    policy: await loadPolicyFile(POLICY_PATH),
    keys: signingKey,
    issuer: 'urn:test',
    store: createMemoryStore(),
  })
  bank = await startBank(JSON.stringify(await gate.keys()))
  services = {
    bank: bank.origin,
    warehouse: 'http://127.0.0.1:9',
    ehr: 'http://127.0.0.1:9',
    gateway: 'http://127.0.0.1:9',
  }
  toolkit = {
    gate: recordDecisions(gate, (decision) => decisions.push(decision)),
    services,
    timeline: new Timeline(),
    transport: (request) => fetch(request),
  }
})

beforeEach(() => {
  decisions = []
})

afterAll(async () => {
  await bank.close()
})

const transfer = { to: 'acme-supplies', amount: 40, currency: 'EUR', memo: 'INV-1' }
const call = (args: unknown, argsText = JSON.stringify(args)) => ({
  action: 'payments.transfer',
  argsText,
  agent: 'billing-agent',
})

describe('the gated tools', () => {
  it('decide the request the tool makes, once, and the bank runs exactly it', async () => {
    const before = bank.state().transfers.length
    const result = await sendAction(toolkit, call(transfer))
    expect(result).toMatchObject({ service: 'bank', status: 201, refused: false })
    expect(decisions).toHaveLength(1)
    const decision = decisions[0] as PermitDecision
    expect(decision.decision).toBe('PERMIT')
    expect(decision.claims.aud).toBe(bank.origin)
    // The policy saw the request itself; the receipt binds that one view.
    const view = httpRequestView({
      method: 'POST',
      uri: `${bank.origin}/transfers`,
      contentType: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(transfer)),
    })
    expect(decision.claims.act.args).toBe(view.argsDigest)
    expect(decision.claims.http).toEqual(view.binding)
    expect(decision.args['body']).toEqual(transfer)
    expect(bank.state().transfers).toHaveLength(before + 1)
  })

  it('send nothing for a refusal, and the model reads the signed refusal', async () => {
    const before = bank.state().transfers.length
    const result = await sendAction(toolkit, call({ ...transfer, to: 'mallory-holdings' }))
    expect(result).toMatchObject({ service: null, status: 403, refused: true })
    expect(result.body).toMatchObject({ decision: 'DENY', reason: 'SANCTIONED_PAYEE' })
    expect(bank.state().transfers).toHaveLength(before)
  })

  it('let the gate refuse arguments that are not I-JSON, with a receipt', async () => {
    const result = await sendAction(
      toolkit,
      call(
        undefined,
        '{"to":"acme-supplies","amount":40,"amount":4000,"currency":"EUR","memo":"x"}',
      ),
    )
    expect(result.refused).toBe(true)
    expect(decisions.map((decision) => [decision.decision, decision.reason])).toEqual([
      ['DENY', 'INPUT_INVALID'],
    ])
  })

  it('leave no way to ask about arguments beside an HTTP binding: the gate refuses the split (INPUT_INVALID)', async () => {
    const body = new TextEncoder().encode(canonicalize({ ...transfer, amount: 10 }))
    const decision = await toolkit.gate.authorize({
      action: 'payments.transfer',
      agent: 'billing-agent',
      audience: bank.origin,
      args: { ...transfer, amount: 10 },
      http: {
        method: 'POST',
        uri: `${bank.origin}/v1/admin/delete-accounts`,
        body: digestOf(body),
      },
    } as ActionRequest)
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('INPUT_INVALID')
    expect(decision.claims.http).toBeUndefined()
  })

  it('never let the bank execute without a receipt from its trusted keys', async () => {
    const before = bank.state().transfers.length
    const response = await fetch(`${bank.origin}/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(transfer),
    })
    expect(response.status).toBe(401)
    expect(((await response.json()) as { code: string }).code).toBe('RECEIPT_MISSING')
    expect(bank.state().transfers).toHaveLength(before)
    expect(bank.refusals.at(-1)?.code).toBe('RECEIPT_MISSING')
  })
})
