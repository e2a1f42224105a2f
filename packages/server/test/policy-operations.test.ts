import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { candidatePaymentsPolicyText, paymentsPolicyTextWith } from '@writ/core/testing'
import { createSqliteStore } from '@writ/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const botToken = 'bot-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function start(): Promise<{ server: ListeningAuthority; candidateDigest: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'writ-server-ops-'))
  const store = createSqliteStore({ path: join(dir, 'authority.db') })
  const candidate = compilePolicy(candidatePaymentsPolicyText)
  const gate = createGate({
    policy: compilePolicy(paymentsPolicyTextWith()),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store,
    shadow: candidate,
  })
  const server = await startAuthorityServer({
    gate,
    agents: [{ agent: 'agent:bot', tokenSha256: hashToken(botToken) }],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
  })
  cleanups.push(async () => {
    await server.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { server, candidateDigest: candidate.digest }
}

async function decide(server: ListeningAuthority, action: string, args: object) {
  const response = await fetch(`${server.url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action, args: JSON.stringify(args) }),
  })
  return (await response.json()) as { decision: string; rule: string | null }
}

describe('drift and shadow metrics', () => {
  it('counts decisions per policy digest, rule and outcome, and shadow disagreements', async () => {
    const { server, candidateDigest } = await start()
    expect(await decide(server, 'payments.transfer', { to: 'bob', amount: 700 })).toMatchObject({
      decision: 'PERMIT',
      rule: 'small-transfers',
    })
    await decide(server, 'payments.transfer', { to: 'bob', amount: 100 })
    await decide(server, 'exports.all', {})
    const metrics = await (
      await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })
    ).text()
    const digest = compilePolicy(paymentsPolicyTextWith()).digest
    expect(metrics).toContain(
      `writ_policy_decisions_total{policy_digest="${digest}",rule="small-transfers",decision="PERMIT"} 2`,
    )
    expect(metrics).toContain(
      `writ_policy_decisions_total{policy_digest="${digest}",rule="no-exports",decision="DENY"} 1`,
    )
    expect(metrics).toContain(
      `writ_shadow_evaluations_total{candidate_digest="${candidateDigest}"} 3`,
    )
    expect(metrics).toContain(
      `writ_shadow_disagreements_total{candidate_digest="${candidateDigest}"} 2`,
    )
    expect(metrics).toContain(`writ_shadow_failures_total{candidate_digest="${candidateDigest}"} 0`)
  })
})
