/**
 * The operator's console in headless Chromium at 1280×720 and 390×844: sign in with an
 * operator token, filter the timeline, open a receipt and verify it in the browser, tamper
 * with it and read the failure code, see a rule's rate shift after the test changes the
 * policy and drives decisions, and see an open hold. Screenshots go to test-output/console,
 * and the 1280×720 ones are the pictures of docs/console.md (docs/images/console-*.png).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { approvalsPolicyText, createApprovalsFixture } from '@writ/core/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const OUTPUT = join(ROOT, 'test-output', 'console')
const agentToken = 'agent-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'
const viewports = [
  { name: 'desktop', width: 1280, height: 720 },
  { name: 'phone', width: 390, height: 844 },
] as const

let server: ListeningAuthority
let browser: Browser

async function decide(amount: number): Promise<{ decision: string }> {
  const response = await fetch(`${server.url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      action: 'payments.transfer',
      args: JSON.stringify({ to: 'acme', amount }),
    }),
  })
  return (await response.json()) as { decision: string }
}

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true })
  const dir = mkdtempSync(join(tmpdir(), 'writ-console-'))
  const policyFile = join(dir, 'policy.yaml')
  writeFileSync(policyFile, approvalsPolicyText())
  const fixture = createApprovalsFixture()
  server = await startAuthorityServer({
    gate: fixture.gate,
    agents: [{ agent: 'agent-7', tokenSha256: hashToken(agentToken) }],
    operators: [{ name: 'ops:alice', tokenSha256: hashToken(operatorToken) }],
    policyFile,
    console: { secureCookie: false },
  })
  // Under the first policy, transfers up to 1000 are permitted by rule "small".
  for (let index = 0; index < 12; index++) expect((await decide(400)).decision).toBe('PERMIT')
  // The operator tightens "small" to 100 and denies the rest up to 1000 by rule "mid".
  const tightened = approvalsPolicyText()
    .replace('args.amount <= 1000', 'args.amount <= 100')
    .replace(
      '  - id: large\n',
      '  - id: mid\n    effect: deny\n    actions: [payments.transfer]\n    when: args.amount > 100 && args.amount <= 1000\n  - id: large\n',
    )
  writeFileSync(policyFile, tightened)
  expect((await server.reloadPolicy()).ok).toBe(true)
  for (let index = 0; index < 12; index++) expect((await decide(400)).decision).toBe('DENY')
  expect((await decide(50)).decision).toBe('PERMIT')
  // A large transfer waits for a finance approver: an open hold.
  expect((await decide(5000)).decision).toBe('SILENCE')
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function shot(page: Page, viewport: string, step: string) {
  const file = join(OUTPUT, `${viewport}-${step}.png`)
  await page.screenshot({ path: file, fullPage: false })
  if (viewport === 'desktop')
    copyFileSync(file, join(ROOT, 'docs', 'images', `console-${step}.png`))
}

async function signIn(page: Page, viewport: string) {
  await page.goto(`${server.url}/console`)
  await page.waitForSelector('#sign-in:not([hidden])')
  // An agent's token does not open the console.
  await page.getByLabel('Operator token').fill(agentToken)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect.poll(() => page.textContent('#sign-in-error')).toContain('OPERATOR_REQUIRED')
  await shot(page, viewport, 'sign-in')
  await page.getByLabel('Operator token').fill(operatorToken)
  await page.keyboard.press('Enter')
  await page.waitForSelector('#app:not([hidden])')
  await expect.poll(() => page.locator('#timeline tbody tr').count()).toBeGreaterThan(20)
  expect(await page.textContent('#who')).toContain('ops:alice')
}

describe.each(viewports)('the console at $width×$height', (viewport) => {
  it('signs in, filters, verifies and tampers, shows a rate shift and an open hold', async () => {
    const page = await browser.newPage({ viewport })
    const missing: string[] = []
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url())
    })
    await signIn(page, viewport.name)
    await page.uncheck('#live')
    await shot(page, viewport.name, 'overview')

    // Filter: the DENY decisions only.
    await page.getByLabel('Decision', { exact: true }).selectOption('DENY')
    await page.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => page.locator('#timeline tbody tr').count()).toBe(12)
    const decisions = await page.locator('#timeline tbody .badge').allTextContents()
    expect(new Set(decisions)).toEqual(new Set(['DENY']))
    await shot(page, viewport.name, 'filtered')

    // Open the newest one with the keyboard and verify it in the browser.
    await page.locator('#timeline tbody tr button').first().focus()
    await page.keyboard.press('Enter')
    await page.waitForSelector('#inspector[open]')
    await expect.poll(() => page.getAttribute('#verdict', 'data-code')).toBe('OK')
    expect(await page.textContent('#chain-place')).toMatch(/Links to receipt \d+\./)
    await shot(page, viewport.name, 'verified')

    // Tamper with its decision: the signature no longer covers it.
    await page.getByRole('button', { name: 'Tamper with the decision' }).click()
    await expect.poll(() => page.getAttribute('#verdict', 'data-code')).toBe('SIGNATURE_INVALID')
    expect(await page.textContent('#verdict')).toContain('SIGNATURE_INVALID')
    await shot(page, viewport.name, 'tampered')
    await page.getByRole('button', { name: 'Close' }).click()

    // Rates: the policy change is marked, and rule "small" is flagged.
    await page.locator('#rates').scrollIntoViewIfNeeded()
    expect(await page.getAttribute('#chart-decisions', 'data-changes')).toBe('1')
    expect(await page.locator('#chart-decisions canvas').count()).toBe(1)
    const flagged = await page.locator('#drift .flagged').allTextContents()
    expect(flagged.some((text) => text.startsWith('small: PERMIT rate'))).toBe(true)
    await shot(page, viewport.name, 'rates')

    // Holds: the large transfer waits for finance.
    await page.locator('#holds').scrollIntoViewIfNeeded()
    const hold = await page.locator('#holds-list .hold').first().textContent()
    expect(hold).toContain('payments.transfer by agent-7')
    expect(hold).toMatch(/0 of 1 approvals · \d+ min \d+ s left/)
    expect(hold).toContain('Alice')
    await shot(page, viewport.name, 'holds')

    // Evidence: the chain's assurance and the bundle download.
    await page.locator('#evidence').scrollIntoViewIfNeeded()
    expect(await page.textContent('#evidence-list')).toContain('assurance: signed')
    await shot(page, viewport.name, 'evidence')

    // Nothing is wider than the screen.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
    expect(missing).toEqual([])
    await page.close()
  }, 120_000)
})
