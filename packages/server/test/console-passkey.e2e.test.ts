/**
 * Passkey sign-in to the console, where the approvals page has one: an approver listed in
 * `passkeyOperators` signs in with the passkey they registered on the approvals page and
 * gets a console session; another approver's passkey is refused with OPERATOR_REQUIRED,
 * and so is the bridge route without a passkey session or from another origin.
 */
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  parseApprovers,
} from '@writ/core'
import { webAuthnApprovalVerifier } from '@writ/verify'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPasskeyRegistry } from '../src/approvals/passkey-registry.js'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'
import {
  APPROVALS_POLICY,
  APPROVERS,
  freePort,
  launchChromium,
  type PasskeyBrowser,
  passkeyBrowser,
} from './approvals-support.js'

const operatorToken = 'operator-token-for-the-console-passkey-test'
let server: ListeningAuthority
let origin: string
let browser: Browser

beforeAll(async () => {
  const port = await freePort()
  origin = `http://localhost:${port}`
  const approvers = parseApprovers(APPROVERS)
  const gate = createGate({
    policy: compilePolicy(APPROVALS_POLICY),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store: createMemoryStore(),
    approvers,
    webauthn: webAuthnApprovalVerifier({ rpId: 'localhost', origins: [origin] }),
  })
  server = await startAuthorityServer({
    gate,
    agents: [],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    port,
    approvalsPage: { origin, approvers, passkeys: await openPasskeyRegistry() },
    console: { secureCookie: false, passkeyOperators: ['alice'] },
  })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function enrolled(approver: string): Promise<PasskeyBrowser> {
  const session = await passkeyBrowser(browser)
  const response = await fetch(`${server.url}/v1/approvers/${approver}/enrollments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}` },
  })
  const { url } = (await response.json()) as { url: string }
  await session.page.goto(url.replace(/^http:\/\/[^/]+/, origin))
  await session.page.getByRole('button', { name: 'Register a passkey' }).click()
  await session.page.locator('#status[data-kind="ok"]').waitFor()
  // A fresh start: the console must sign in with the passkey itself.
  await session.context.clearCookies()
  return session
}

describe('passkey sign-in to the console', () => {
  it('opens the console for an approver listed as an operator', async () => {
    const alice = await enrolled('alice')
    await alice.page.goto(`${origin}/console`)
    await alice.page.getByRole('button', { name: 'Sign in with your passkey' }).click()
    await alice.page.waitForSelector('#app:not([hidden])')
    expect(await alice.page.textContent('#who')).toContain('passkey:alice')
    await alice.context.close()
  }, 60_000)

  it('refuses another approver, and the bridge without a passkey session or from elsewhere', async () => {
    const bob = await enrolled('bob')
    await bob.page.goto(`${origin}/console`)
    await bob.page.getByRole('button', { name: 'Sign in with your passkey' }).click()
    await expect.poll(() => bob.page.textContent('#sign-in-error')).toContain('OPERATOR_REQUIRED')
    expect(await bob.page.isHidden('#app')).toBe(true)
    await bob.context.close()
    const bare = await fetch(`${server.url}/approvals/api/console-session`, {
      method: 'POST',
      headers: { origin },
    })
    expect([bare.status, ((await bare.json()) as { code: string }).code]).toEqual([
      401,
      'UNAUTHENTICATED',
    ])
    const elsewhere = await fetch(`${server.url}/approvals/api/console-session`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.headers.get('set-cookie')).toBeNull()
  }, 60_000)
})
