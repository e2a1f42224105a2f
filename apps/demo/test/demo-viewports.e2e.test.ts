/**
 * The demo page as an evaluator meets it, in headless Chromium at 1440×900, 1280×720
 * and 390×844: "Run all" reachable, the receipt list visible, verdicts that never go
 * stale, honest notes in the inspector, no 404. Screenshots go to test-output/, and the
 * 1440×900 one after "Run all" is the picture the README and docs/demo.md open with
 * (docs/images/demo-run-all.png), so it never goes stale either.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/index.js'
import { ensureBuilt, launchBrowser, REPO_ROOT } from './support.js'

const OUTPUT = join(REPO_ROOT, 'test-output')
const viewports = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
] as const

let demo: Demo
let browser: Browser

beforeAll(async () => {
  ensureBuilt()
  mkdirSync(OUTPUT, { recursive: true })
  demo = await startDemo({ port: 0, openai: false })
  browser = await launchBrowser()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

async function open(viewport: { width: number; height: number }) {
  const page = await browser.newPage({ viewport })
  const missing: string[] = []
  page.on('response', (response) => {
    if (response.status() === 404) missing.push(response.url())
  })
  await page.goto(demo.url)
  await page.waitForSelector('body[data-ready="true"]')
  return { page, missing }
}

async function runAll(page: Page) {
  await page.click('[data-testid="run-all"]')
  // While it runs, the chain cannot be verified: a verdict would be about a moving chain.
  expect(await page.isDisabled('[data-testid="verify-chain"]')).toBe(true)
  await page.waitForFunction(
    (count) => document.querySelectorAll('[data-testid^="result-"]').length === count,
    demo.scenarios().length,
    { timeout: 120_000 },
  )
  await page.waitForSelector('body[data-busy="false"]')
}

/** How many rows of the receipt list a reader can see once it is scrolled into view. */
async function visibleChainRows(page: Page): Promise<number> {
  await page.locator('[data-testid="chain"]').scrollIntoViewIfNeeded()
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid="chain"]') as HTMLElement
    const box = list.getBoundingClientRect()
    return [...list.querySelectorAll('li')].filter((row) => {
      const rect = row.getBoundingClientRect()
      return (
        rect.top >= Math.max(0, box.top) - 1 &&
        rect.bottom <= Math.min(window.innerHeight, box.bottom) + 1
      )
    }).length
  })
}

describe.each(viewports)('the demo page at $width×$height', (viewport) => {
  it('shows Run all on screen, runs everything, and shows the receipt list', async () => {
    const { page, missing } = await open(viewport)
    const button = await page.locator('[data-testid="run-all"]').boundingBox()
    expect(button).not.toBeNull()
    expect(button!.x).toBeGreaterThanOrEqual(0)
    expect(button!.x + button!.width).toBeLessThanOrEqual(viewport.width)
    expect(button!.y + button!.height).toBeLessThanOrEqual(viewport.height)
    await runAll(page)
    // The changed-amount attack: the bank shows what it was sent, 4,900, not only the 50 decided.
    expect(await page.locator('[data-testid="refusal-sent"]').allTextContents()).toContainEqual(
      expect.stringContaining('4,900'),
    )
    const rows = await page.locator('[data-testid="chain"] li').count()
    expect(rows).toBeGreaterThan(10)
    expect(await visibleChainRows(page)).toBeGreaterThanOrEqual(Math.min(rows, 10))
    const name = `demo-${viewport.width}x${viewport.height}`
    await page.screenshot({ path: join(OUTPUT, `${name}-run-all.png`), fullPage: true })
    if (viewport.width === 1440) {
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: join(OUTPUT, `${name}-first-screen.png`) })
      copyFileSync(
        join(OUTPUT, `${name}-first-screen.png`),
        join(REPO_ROOT, 'docs', 'images', 'demo-run-all.png'),
      )
    }
    expect(missing).toEqual([])
    await page.close()
  }, 240_000)
})

describe('the demo page verdicts and notes (1280×720)', () => {
  let page: Page

  beforeAll(async () => {
    ;({ page } = await open({ width: 1280, height: 720 }))
    await page.click('[data-testid="reset"]')
    await page.waitForSelector('body[data-busy="false"]')
  }, 60_000)

  afterAll(async () => {
    await page?.close()
  })

  it('says an empty chain has nothing to verify, never chain "null"', async () => {
    await page.click('[data-testid="verify-chain"]')
    const verdict = page.locator('[data-testid="chain-result"]')
    await expect.poll(() => verdict.textContent()).toMatch(/No receipts/)
    expect(await verdict.textContent()).not.toContain('null')
  })

  it('says what to do when a Tamper button is pressed with nothing in the inspector', async () => {
    await page.fill('[data-testid="inspector-token"]', '')
    await page.click('[data-testid="tamper-signature"]')
    expect(await page.isVisible('[data-testid="tamper-note"]')).toBe(true)
    expect(await page.textContent('[data-testid="tamper-note"]')).toMatch(/Nothing to tamper with/)
  })

  it('clears a chain verdict once the chain moves on, and counts "1 receipt"', async () => {
    const first = demo.scenarios()[0]!.id
    await page.click(`[data-testid="run-${first}"]`)
    await page.waitForSelector('body[data-busy="false"]')
    await page.click('[data-testid="verify-chain"]')
    const verdict = page.locator('[data-testid="chain-result"]')
    await expect.poll(() => verdict.getAttribute('data-valid')).toBe('true')
    const size = Number(await verdict.getAttribute('data-size'))
    if (size === 1) expect(await verdict.textContent()).toContain('1 receipt,')
    expect(await verdict.textContent()).not.toMatch(/\b1 receipts\b/)
    await page.click(`[data-testid="run-${first}"]`)
    await page.waitForSelector('body[data-busy="false"]')
    expect(await verdict.textContent()).toBe('')
  })

  it('highlights the changed claim, and flipping back says the signature verifies again', async () => {
    await page.locator('[data-testid="chain"] .receipt-link').first().click()
    const result = page.locator('[data-testid="inspector-result"]')
    await expect.poll(() => result.getAttribute('data-ok')).toBe('true')
    await page.click('[data-testid="tamper-decision"]')
    await expect.poll(() => result.getAttribute('data-ok')).toBe('false')
    expect(await page.locator('[data-testid="changed-claim"]').count()).toBeGreaterThan(0)
    expect(await page.locator('[data-testid="changed-claim"]').first().textContent()).toContain(
      'decision',
    )
    await page.click('[data-testid="tamper-decision"]')
    await expect.poll(() => result.getAttribute('data-ok')).toBe('true')
    expect(await page.textContent('[data-testid="tamper-note"]')).toMatch(/exactly what was signed/)
    expect(await page.locator('[data-testid="changed-claim"]').count()).toBe(0)
  })

  it.each([
    ['delete', 'CHAIN_GAP'],
    ['swap', 'CHAIN_PREV_MISMATCH'],
    ['truncate', 'CHECKPOINT_MISMATCH'],
  ])('detects a chain tampered on the page (%s): %s', async (kind, code) => {
    for (const scenario of demo.scenarios().slice(0, 3)) {
      await page.click(`[data-testid="run-${scenario.id}"]`)
      await page.waitForSelector('body[data-busy="false"]')
    }
    await page.click(`[data-testid="chain-${kind}"]`)
    const verdict = page.locator('[data-testid="chain-result"]')
    await expect.poll(() => verdict.getAttribute('data-code')).toBe(code)
    expect(await verdict.getAttribute('data-tampered')).toBe(kind)
  })

  it("links a card's rule to the policy shown beside the scenarios", async () => {
    const rule = page.locator('[data-testid^="rule-"]').first()
    const ruleId = (await rule.textContent())?.trim()
    await rule.click()
    expect(await page.getAttribute('[data-testid="policy"]', 'open')).not.toBeNull()
    expect(await page.locator('[data-testid="policy-rule"]').first().textContent()).toContain(
      `id: ${ruleId}`,
    )
  })

  it('says an expired PERMIT no longer authorizes anything', async () => {
    const permit = page.locator('[data-testid="chain"] li', {
      has: page.locator('.decision.PERMIT'),
    })
    const token = await page.evaluate(async () => {
      const response = await fetch('/api/chain')
      return ((await response.json()) as { receipts: string[] }).receipts
    })
    expect(token.length).toBeGreaterThan(0)
    if ((await permit.count()) === 0) return
    // An hour later, in the page: every demo PERMIT (lifetime at most 300 s) has expired.
    await page.clock.install({ time: Date.now() + 3_600_000 })
    await permit.first().locator('.receipt-link').click()
    const result = page.locator('[data-testid="inspector-result"]')
    await expect.poll(() => result.getAttribute('data-expired')).toBe('true')
    expect(await result.textContent()).toMatch(/expired/)
  })
})
