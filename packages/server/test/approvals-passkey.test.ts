/**
 * The passkey ceremony for real: headless Chromium with a virtual authenticator enrolls a
 * passkey through a one-time link, signs in on `/approvals`, and approves or rejects held
 * payments there. The agent's next ask then yields a PERMIT naming the approval, or a DENY.
 * Then the attacks: assertions moved to another hold or other arguments, an unregistered
 * credential, a replay, tampered clientData and signature.
 */
import type { RefusalDecision } from '@writ/core'
import {
  type ApprovalClaims,
  approvalChallenge,
  type ChainApprovalSources,
  verifyChain,
  webAuthnApprovalText,
  webAuthnApprovalVerifier,
} from '@writ/verify'
import { base64UrlDecode, base64UrlEncode, canonicalize } from '@writ/verify/internal'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AGENT,
  type ApprovalsAuthority,
  enrollmentUrl,
  launchChromium,
  type PasskeyBrowser,
  passkeyBrowser,
  startApprovalsAuthority,
} from './approvals-support.js'

let authority: ApprovalsAuthority
let browser: Browser
let alice: PasskeyBrowser

const transfer = (amount: number, to = 'DE89370400440532013000') => ({
  action: 'payments.transfer',
  args: { amount, currency: 'EUR', to, memo: `invoice ${amount}` },
  agent: AGENT,
})

async function hold(amount: number): Promise<string> {
  const decision = await authority.gate.authorize(transfer(amount))
  expect(decision).toMatchObject({ decision: 'SILENCE', reason: 'APPROVAL_REQUIRED' })
  const id = (decision as RefusalDecision).hold?.id
  expect(id).toBeTypeOf('string')
  return id as string
}

async function enroll(session: PasskeyBrowser, approver: string): Promise<void> {
  await session.page.goto(await enrollmentUrl(authority, approver))
  await session.page.getByRole('button', { name: 'Register a passkey' }).click()
  await expect(settledStatus(session)).resolves.toBe('Passkey registered. You are signed in.')
}

/** The page's status line once an action finished (it says so, or why not). */
async function settledStatus(session: PasskeyBrowser): Promise<string> {
  const status = session.page.locator('#status[data-kind="ok"], #status[data-kind="error"]')
  await status.waitFor()
  return (await status.textContent()) ?? ''
}

async function holdCard(session: PasskeyBrowser, id: string) {
  await session.page.getByRole('button', { name: 'Refresh' }).click()
  const card = session.page.locator(`li[data-hold="${id}"]`)
  await card.waitFor()
  return card
}

/** Runs the approval ceremony in the page but hands the assertion to the test instead of submitting it. */
async function assertionFor(session: PasskeyBrowser, id: string, verdict: 'approve' | 'reject') {
  return session.page.evaluate(
    async ({ id, verdict }) => {
      const post = (path: string, body: unknown) =>
        fetch(`/approvals/api/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((response) => response.json())
      const challenge = await post(`holds/${id}/challenge`, { verdict })
      const webauthn = (
        window as unknown as {
          SimpleWebAuthnBrowser: { startAuthentication(options: unknown): Promise<unknown> }
        }
      ).SimpleWebAuthnBrowser
      const response = await webauthn.startAuthentication({ optionsJSON: challenge.options })
      return { claims: challenge.claims, response }
    },
    { id, verdict },
  ) as Promise<{
    claims: ApprovalClaims
    response: {
      id: string
      response: { authenticatorData: string; clientDataJSON: string; signature: string }
    }
  }>
}

function envelopeText(
  claims: ApprovalClaims,
  assertion: Awaited<ReturnType<typeof assertionFor>>['response'],
  overrides: Partial<
    Record<'credentialId' | 'authenticatorData' | 'clientDataJSON' | 'signature', string>
  > = {},
): string {
  return webAuthnApprovalText({
    type: 'webauthn',
    claims,
    credentialId: assertion.id,
    authenticatorData: assertion.response.authenticatorData,
    clientDataJSON: assertion.response.clientDataJSON,
    signature: assertion.response.signature,
    ...overrides,
  })
}

beforeAll(async () => {
  authority = await startApprovalsAuthority()
  browser = await launchChromium()
  alice = await passkeyBrowser(browser)
  await enroll(alice, 'alice')
})

afterAll(async () => {
  await browser?.close()
  await authority?.server.close()
})

describe('approvals page with a passkey (Chromium, virtual authenticator)', () => {
  it('shows the hold in words, approves it with the passkey, and the re-ask is a PERMIT naming the approval', async () => {
    const id = await hold(20_000)
    const card = await holdCard(alice, id)
    await expect(card.getByRole('heading', { name: 'Payments: transfer' }).count()).resolves.toBe(1)
    const text = await card.textContent()
    expect(text).toContain('20,000 EUR')
    expect(text).toContain('Transfers above 10,000 EUR need a finance approver.')
    expect(text).toContain(AGENT)
    expect(text).toMatch(/This adds 20,000 EUR to at most 50,000 EUR every 24 hours for this agent/)
    expect(text).toMatch(/\d+ min \d+ s left/)
    await card.getByLabel('Note for the record (optional)').fill('Checked against invoice 20000')
    await card.getByRole('button', { name: 'Approve with passkey' }).click()
    await alice.page.getByText(/^Approved\./).waitFor()

    const again = await authority.gate.authorize(transfer(20_000))
    expect(again.decision).toBe('PERMIT')
    expect(again.claims).toMatchObject({ hold: id, appr: [{ by: 'alice' }] })
    const stored = await authority.gate.holds.get(id)
    expect(stored?.approvals).toMatchObject([
      { by: 'alice', verdict: 'approve', note: 'Checked against invoice 20000' },
    ])
    expect(again.claims.appr?.[0]?.digest).toBe(stored?.approvals[0]?.digest)
  })

  it('rejects with the passkey: the re-ask is DENY APPROVAL_REJECTED and stays blocked', async () => {
    const id = await hold(30_000)
    const card = await holdCard(alice, id)
    await card.getByRole('button', { name: 'Reject with passkey' }).click()
    await alice.page.getByText('Rejected. The action stays blocked.').waitFor()
    for (let attempt = 0; attempt < 2; attempt++) {
      const again = await authority.gate.authorize(transfer(30_000))
      expect(again).toMatchObject({ decision: 'DENY', reason: 'APPROVAL_REJECTED' })
    }
  })

  it('refuses an assertion moved to another hold or other arguments (APPROVAL_MISMATCH)', async () => {
    const first = await hold(11_000)
    const second = await hold(12_000)
    const { claims, response } = await assertionFor(alice, first, 'approve')
    // The same signed approval, submitted for the other hold.
    await expect(
      authority.gate.holds.submit(envelopeText(claims, response), { hold: second }),
    ).rejects.toMatchObject({ code: 'APPROVAL_MISMATCH' })
    // The claims rewritten to name the other hold: the passkey signed other claims.
    const moved = { ...claims, hold: second }
    await expect(
      authority.gate.holds.submit(envelopeText(moved, response), { hold: second }),
    ).rejects.toMatchObject({
      code: 'APPROVAL_MISMATCH',
    })
    const otherArgs = {
      ...claims,
      act: { ...claims.act, args: `sha256:${'00'.repeat(32)}` as const },
    }
    await expect(
      authority.gate.holds.submit(envelopeText(otherArgs, response), { hold: first }),
    ).rejects.toMatchObject({
      code: 'APPROVAL_MISMATCH',
    })
    expect(base64UrlEncode(approvalChallenge(moved))).not.toBe(
      base64UrlEncode(approvalChallenge(claims)),
    )
    expect((await authority.gate.authorize(transfer(12_000))).decision).toBe('SILENCE')
  })

  it('refuses an unregistered credential, tampered clientData or signature, and a replay', async () => {
    const id = await hold(13_000)
    const { claims, response } = await assertionFor(alice, id, 'approve')
    const stranger = base64UrlEncode(new Uint8Array(32).fill(9))
    await expect(
      authority.gate.holds.submit(envelopeText(claims, response, { credentialId: stranger }), {
        hold: id,
      }),
    ).rejects.toMatchObject({ code: 'APPROVER_UNKNOWN' })

    const clientData = JSON.parse(
      Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'),
    )
    const forged = base64UrlEncode(
      Buffer.from(canonicalize({ ...clientData, origin: 'http://localhost:1' })),
    )
    const signature = base64UrlDecode(response.response.signature)
    signature[signature.length - 1] = signature[signature.length - 1]! ^ 1
    for (const overrides of [
      { clientDataJSON: forged },
      { signature: base64UrlEncode(signature) },
    ]) {
      await expect(
        authority.gate.holds.submit(envelopeText(claims, response, overrides), { hold: id }),
      ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' })
    }
    expect((await authority.gate.authorize(transfer(13_000))).decision).toBe('SILENCE')

    const genuine = envelopeText(claims, response)
    await expect(authority.gate.holds.submit(genuine, { hold: id })).resolves.toMatchObject({
      state: 'approved',
    })
    await expect(authority.gate.holds.submit(genuine, { hold: id })).rejects.toMatchObject({
      code: 'APPROVAL_USED',
    })
    const permit = await authority.gate.authorize(transfer(13_000))
    expect(permit).toMatchObject({ decision: 'PERMIT', claims: { hold: id } })
    await expect(authority.gate.holds.submit(genuine, { hold: id })).rejects.toMatchObject({
      code: 'APPROVAL_USED',
    })
  })

  it('shows nothing to a signed-out visitor and refuses answers from another origin', async () => {
    const visitor = await browser.newContext()
    const page = await visitor.newPage()
    await page.goto(`${authority.origin}/approvals`)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor()
    const holds = await page.evaluate(() =>
      fetch('/approvals/api/holds').then((response) => response.status),
    )
    expect(holds).toBe(401)
    await visitor.close()
    const crossSite = await fetch(`${authority.server.url}/approvals/api/sign-in/options`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    expect(crossSite.status).toBe(403)
  })

  it('signs in again with the passkey, and fits 390×844 without sideways scrolling', async () => {
    const phone = await passkeyBrowser(browser, { width: 390, height: 844 })
    // The same virtual authenticator's credential, copied in: the approver on a second device.
    const { credentials } = await alice.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: alice.authenticatorId,
    })
    for (const credential of credentials) {
      await phone.cdp.send('WebAuthn.addCredential', {
        authenticatorId: phone.authenticatorId,
        credential,
      })
    }
    const id = await hold(14_000)
    await phone.page.goto(`${authority.origin}/approvals`)
    await phone.page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await phone.page.getByText('Signed in as Alice Martin.').waitFor()
    const card = phone.page.locator(`li[data-hold="${id}"]`)
    await card.waitFor()
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    const approve = card.getByRole('button', { name: 'Approve with passkey' })
    const box = await approve.boundingBox()
    expect(box?.height).toBeGreaterThanOrEqual(44)
    await approve.click()
    await phone.page.getByText(/^Approved\./).waitFor()
    expect((await authority.gate.authorize(transfer(14_000))).decision).toBe('PERMIT')
    await phone.context.close()
  })

  it('the chain verifies offline with every passkey approval re-checked from its stored envelope', async () => {
    const { gate } = authority
    const holds = gate.store.holds
    expect(holds).toBeDefined()
    const receipts: string[] = []
    for await (const receipt of gate.store.receipts(gate.chainId)) receipts.push(receipt.token)
    const sources = (webauthn: boolean): ChainApprovalSources => ({
      approval: async (digest) => (await holds?.approval(digest))?.text,
      holdReceipt: async (id) => (await holds?.get(id))?.receipt,
      approvers: gate.approvers as NonNullable<typeof gate.approvers>,
      ...(webauthn
        ? { webauthn: webAuthnApprovalVerifier({ rpId: 'localhost', origins: [authority.origin] }) }
        : {}),
    })
    const report = await verifyChain(receipts, await gate.keys(), { approvals: sources(true) })
    expect(report).toMatchObject({ valid: true })
    expect(receipts.some((token) => token.length > 0)).toBe(true)
    // Without a passkey verifier the approvals cannot be checked, and the chain says so.
    const unchecked = await verifyChain(receipts, await gate.keys(), { approvals: sources(false) })
    expect(unchecked).toMatchObject({ valid: false, code: 'APPROVAL_FORM_UNSUPPORTED' })
  })
})
