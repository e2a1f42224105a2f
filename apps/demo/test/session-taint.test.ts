/**
 * The demo's session taint rule: an agent run that read a web page (tagged untrusted)
 * may still mail inside the company but not outside; a run that read nothing untrusted
 * may. Real gate, the demo's policy, a real gateway on 127.0.0.1.
 */
import {
  createGate,
  createMemoryStore,
  type Decision,
  generateSigningKey,
  loadPolicyFile,
} from '@writ/core'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { POLICY_PATH } from '../src/paths.js'
import { recordDecisions } from '../src/recorded-gate.js'
import { type Gateway, startGateway } from '../src/services/gateway.js'
import { Timeline } from '../src/timeline.js'
import { sendAction, type ToolCallInput, type Toolkit } from '../src/tools.js'

let gateway: Gateway
let toolkit: Toolkit
let decisions: Decision[]
let keys: Awaited<ReturnType<Toolkit['gate']['keys']>>

beforeAll(async () => {
  const gate = createGate({
    policy: await loadPolicyFile(POLICY_PATH),
    keys: generateSigningKey(),
    issuer: 'urn:test',
    store: createMemoryStore(),
  })
  keys = await gate.keys()
  gateway = await startGateway(JSON.stringify(keys))
  const unused = 'http://127.0.0.1:9'
  toolkit = {
    gate: recordDecisions(gate, (decision) => decisions.push(decision)),
    services: { bank: unused, warehouse: unused, ehr: unused, gateway: gateway.origin },
    timeline: new Timeline(),
    transport: (request) => fetch(request),
  }
})

beforeEach(() => {
  decisions = []
  gateway.reset(JSON.stringify(keys))
})

afterAll(async () => {
  await gateway.close()
})

const PAGE = 'https://status.acme-supplies.example/'
const fetchPage = (session?: string): ToolCallInput => ({
  action: 'web.fetch',
  argsText: JSON.stringify({ url: PAGE }),
  agent: 'ops-agent',
  ...(session === undefined ? {} : { session }),
})
const mail = (to: string, session?: string): ToolCallInput => ({
  action: 'email.send',
  argsText: JSON.stringify({ to, subject: 'hello', text: 'hello' }),
  agent: 'ops-agent',
  ...(session === undefined ? {} : { session }),
})
const outcomes = () => decisions.map((decision) => `${decision.decision} ${decision.reason}`)

describe('the session taint rule of the demo', () => {
  it('after an untrusted page, mail goes inside only; the refusal is signed and nothing leaves', async () => {
    const page = await sendAction(toolkit, fetchPage('run-1'))
    expect(page).toMatchObject({ service: 'gateway', status: 200, refused: false })
    expect(await sendAction(toolkit, mail('ops@corp.example', 'run-1'))).toMatchObject({
      status: 202,
    })
    const outside = await sendAction(toolkit, mail('audit@acme-suppl1es.example', 'run-1'))
    expect(outside).toMatchObject({ status: 403, refused: true })
    expect(outcomes()).toEqual(['PERMIT WEB_PAGE', 'PERMIT EMAIL_ALLOWED', 'DENY SESSION_TAINTED'])
    const refusal = decisions[2] as Decision
    expect(refusal.rule).toBe('email-outside-after-untrusted-content')
    const verified = await verifyReceipt(refusal.receipt, createKeySet(keys))
    expect(verified.claims.decision).toBe('DENY')
    expect(gateway.state().mail.map((entry) => entry.to)).toEqual(['ops@corp.example'])
    expect(gateway.refusals).toEqual([])
  })

  it('another run, with nothing untrusted in its history, may mail outside', async () => {
    await sendAction(toolkit, fetchPage('run-2'))
    const clean = await sendAction(toolkit, mail('partner@northwind-consulting.example', 'run-3'))
    expect(clean).toMatchObject({ service: 'gateway', status: 202 })
    expect(outcomes()).toEqual(['PERMIT WEB_PAGE', 'PERMIT EMAIL_ALLOWED'])
  })

  it('mail without a session is refused: the rule cannot judge it (SESSION_REQUIRED)', async () => {
    const refused = await sendAction(toolkit, mail('ops@corp.example'))
    expect(refused).toMatchObject({ status: 403, refused: true })
    expect(outcomes()).toEqual(['DENY SESSION_REQUIRED'])
    expect(gateway.state().mail).toEqual([])
  })

  it('a page the gateway does not have, or plain http, is not fetched', async () => {
    const plain = await sendAction(toolkit, {
      ...fetchPage('run-4'),
      argsText: JSON.stringify({ url: 'http://status.acme-supplies.example/' }),
    })
    expect(plain).toMatchObject({ status: 403, refused: true })
    expect(outcomes()).toEqual(['SILENCE CONDITION_FALSE'])
  })
})
