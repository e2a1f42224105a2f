import type { JsonObject } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import type { AgentCredential } from './credentials.js'
import { readDecisionRequest } from './decision-request.js'

const agent: AgentCredential = { agent: 'agent-1', tokenSha256: 'a'.repeat(64) }
const accept = { acceptAgentContext: true }
const refuse = { acceptAgentContext: false }

describe('readDecisionRequest', () => {
  it('takes the agent from the credential and keeps the members it knows', () => {
    expect(
      readDecisionRequest(
        { action: 'pay', args: '{"amount":1}', request: 'r-1', audience: 'bank' },
        agent,
        refuse,
      ),
    ).toEqual({
      agent: 'agent-1',
      session: `token:${'a'.repeat(64)}`,
      action: 'pay',
      args: '{"amount":1}',
      request: 'r-1',
      audience: 'bank',
    })
  })

  it('lets the credential context win over the agent context', () => {
    const credential = { ...agent, context: { approved: false, team: 'ops' } }
    const input = readDecisionRequest(
      { action: 'pay', args: '{}', context: { approved: true, note: 'hi' } },
      credential,
      accept,
    )
    expect(input).toMatchObject({ context: { approved: false, team: 'ops', note: 'hi' } })
  })

  it('keeps a credential context that happens to have status and code members', () => {
    const credential = { ...agent, context: { status: 1, code: 'x' } }
    const input = readDecisionRequest({ action: 'pay', args: '{}' }, credential, refuse)
    expect(input).toMatchObject({ agent: 'agent-1', context: { status: 1, code: 'x' } })
  })

  it.each<[string, JsonObject, AgentCredential, boolean, number, string]>([
    ['the retired http member', { action: 'pay', http: {} }, agent, false, 400, 'INPUT_SYNTAX'],
    ['an unknown member', { action: 'pay', agent: 'other' }, agent, false, 400, 'INPUT_SYNTAX'],
    ['a missing action', { args: '{}' }, agent, false, 400, 'ACTION_NAME_INVALID'],
    ['a numeric action', { action: 1 }, agent, false, 400, 'ACTION_NAME_INVALID'],
    ['a numeric request id', { action: 'pay', request: 2 }, agent, false, 400, 'INPUT_SYNTAX'],
    [
      'an audience the operator did not list',
      { action: 'pay', audience: 'elsewhere' },
      { ...agent, audiences: ['bank'] },
      false,
      403,
      'AUDIENCE_NOT_ALLOWED',
    ],
    [
      'no audience when the operator listed some',
      { action: 'pay' },
      { ...agent, audiences: ['bank'] },
      false,
      403,
      'AUDIENCE_NOT_ALLOWED',
    ],
    [
      'agent context when not accepted',
      { action: 'pay', context: {} },
      agent,
      false,
      400,
      'CONTEXT_NOT_ACCEPTED',
    ],
    [
      'a context that is not an object',
      { action: 'pay', context: [1] },
      agent,
      true,
      400,
      'INPUT_NOT_OBJECT',
    ],
  ])('refuses %s', (_name, body, credential, acceptAgentContext, status, code) => {
    expect(readDecisionRequest(body, credential, { acceptAgentContext })).toMatchObject({
      status,
      code,
    })
  })

  it('takes the session from the credential; a session in the body is refused, never used', () => {
    expect(readDecisionRequest({ action: 'pay', args: '{}' }, agent, refuse)).toMatchObject({
      session: `token:${'a'.repeat(64)}`,
    })
    const spoofed = readDecisionRequest(
      { action: 'pay', args: '{}', session: 'fresh-session' } as JsonObject,
      agent,
      refuse,
    )
    expect(spoofed).toMatchObject({ status: 400, code: 'INPUT_SYNTAX' })
  })
})
