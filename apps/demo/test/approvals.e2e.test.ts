/**
 * Approvals in the demo, from its page in headless Chromium: the procurement agent's
 * 800 EUR freight payment is held; Dana (finance) approves it with her own key; the agent
 * asks again and the bank runs it on a PERMIT naming her approval. Each step verifies in
 * the browser. A second held payment is rejected and stays blocked however often the
 * agent asks.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/index.js'
import { ensureBuilt, launchBrowser } from './support.js'

let demo: Demo
let browser: Browser
let page: Page

beforeAll(async () => {
  ensureBuilt()
  demo = await startDemo({ port: 0, openai: false })
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(15_000)
  await page.goto(demo.url)
  await page.waitForSelector('[data-testid="approvals"] h2')
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

const transfersTo = (payee: string) =>
  demo.servicesState().bank.transfers.filter((transfer) => transfer.to === payee)

async function heldFromPage(invoice: string): Promise<string> {
  await page.click(`[data-testid="pay-${invoice}"]`)
  const hold = page.locator('[data-testid="approval-hold"]').filter({ hasText: invoice })
  await hold.waitFor()
  const id = await hold.getAttribute('data-hold')
  expect(id).toMatch(/^[0-9a-f-]{36}$/)
  return id as string
}

async function verified(flow: ReturnType<Page['locator']>, step: string): Promise<string> {
  await flow.locator(`[data-testid="verify-${step}"]`).click()
  const output = flow.locator(`[data-testid="verdict-${step}"]`)
  await output.filter({ hasText: /[✓✗]/ }).waitFor()
  return (await output.textContent()) ?? ''
}

describe('approvals in the demo', () => {
  it('holds a payment above the threshold, runs it once Dana approves, and every step verifies', async () => {
    const id = await heldFromPage('AF-2207')
    expect(transfersTo('atlas-freight')).toHaveLength(0)
    const holdItem = page.locator(`[data-testid="approval-hold"][data-hold="${id}"]`)
    await expect(holdItem.textContent()).resolves.toContain('800 EUR to atlas-freight')
    await holdItem.locator('[data-testid="approve-hold"]').click()

    const flow = page.locator(`[data-testid="approval-flow"][data-hold="${id}"]`)
    await flow.waitFor()
    const steps = await flow
      .locator('[data-step]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-step')))
    expect(steps).toEqual(['hold', 'approval', 'decision', 'execution'])
    await expect(flow.textContent()).resolves.toContain('Approved: the payment ran.')
    expect(await verified(flow, 'hold')).toMatch(/^✓ SILENCE APPROVAL_REQUIRED/)
    expect(await verified(flow, 'approval')).toMatch(
      new RegExp(`^✓ signed by dana .* for hold ${id}`),
    )
    const permit = await verified(flow, 'decision')
    expect(permit).toMatch(/^✓ PERMIT/)
    expect(permit).toContain('names approval by dana (the digest matches the approval above)')
    expect(transfersTo('atlas-freight')).toMatchObject([{ amount: 800 }])

    const hold = await demo.gate.holds.get(id)
    expect(hold).toMatchObject({ state: 'used', approvals: [{ by: 'dana', verdict: 'approve' }] })
  })

  it('rejects a second held payment: the agent asks again, DENY APPROVAL_REJECTED, the bank never sees it', async () => {
    const id = await heldFromPage('AF-2291')
    await page
      .locator(`[data-testid="approval-hold"][data-hold="${id}"] [data-testid="reject-hold"]`)
      .click()
    const flow = page.locator(`[data-testid="approval-flow"][data-hold="${id}"]`)
    await flow.waitFor()
    await expect(flow.textContent()).resolves.toContain('Rejected: the payment stays blocked.')
    expect(await verified(flow, 'decision')).toMatch(/^✓ DENY APPROVAL_REJECTED/)
    await expect(flow.locator('[data-step="execution"]').textContent()).resolves.toContain(
      'Never received the request',
    )

    // Asking again (the same invoice, the same bytes) stays refused, and nothing runs.
    const again = await demo.approvals.propose('AF-2291')
    expect(again).toBeNull()
    expect(transfersTo('atlas-freight')).toMatchObject([{ amount: 800 }])
    await expect(demo.gate.holds.get(id)).resolves.toMatchObject({ state: 'rejected' })
  })

  it('an answer for a hold that does not exist is refused and changes nothing', async () => {
    const id = await heldFromPage('AF-2207')
    // An approval signed by someone who is not a configured approver is refused.
    const response = await page.evaluate(
      async (hold) => (await fetch(`/api/approvals/${hold}/approve`, { method: 'POST' })).status,
      '00000000-0000-7000-8000-000000000000',
    )
    expect(response).toBe(409)
    await expect(demo.gate.holds.get(id)).resolves.toMatchObject({ state: 'pending' })
  })

  it('approves with a passkey at localhost: a real WebAuthn ceremony in Chromium, and the payment runs', async () => {
    await demo.reset()
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const phone = await context.newPage()
    phone.setDefaultTimeout(15_000)
    const cdp = await context.newCDPSession(phone)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    })
    // WebAuthn needs a host name: the same server, reached as localhost.
    await phone.goto(demo.url.replace('127.0.0.1', 'localhost'))
    await phone.click('[data-testid="register-passkey"]')
    await phone.waitForSelector('[data-testid="passkey-ready"]')
    await phone.click('[data-testid="pay-AF-2207"]')
    const hold = phone.locator('[data-testid="approval-hold"]').filter({ hasText: 'AF-2207' })
    const id = (await hold.getAttribute('data-hold')) as string
    await hold.locator('[data-testid="approve-passkey"]').click()
    const flow = phone.locator(`[data-testid="approval-flow"][data-hold="${id}"]`)
    await flow.waitFor()
    await expect(flow.textContent()).resolves.toContain('Approved: the payment ran.')
    expect(await verified(flow, 'decision')).toContain('(the digest matches the approval above)')
    const stored = await demo.gate.holds.get(id)
    expect(stored).toMatchObject({ state: 'used', approvals: [{ by: 'dana', verdict: 'approve' }] })
    const approval = await demo.gate.store.holds?.approval(
      stored?.approvals[0]?.digest as `sha256:${string}`,
    )
    expect(JSON.parse(approval?.text ?? '{}')).toMatchObject({
      type: 'webauthn',
      claims: { hold: id },
    })
    expect(
      demo.servicesState().bank.transfers.filter((transfer) => transfer.to === 'atlas-freight'),
    ).toMatchObject([{ amount: 800 }])
    // The approvals panel itself fits a phone's width (nothing in it scrolls sideways).
    const overflow = await phone
      .locator('[data-testid="approvals"]')
      .evaluate((panel) => panel.scrollWidth - panel.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await context.close()
  })
})
