/**
 * The audit bundle in the demo, in headless Chromium: the page downloads the bundle of the
 * current chain, and its drop zone verifies a dropped bundle in the browser with
 * `verifyBundle`: the good one reaches `checkpointed`, tampered ones are refused by code.
 */
import { readFile } from 'node:fs/promises'
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
  await demo.runAll()
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  page.setDefaultTimeout(15_000)
  await page.goto(demo.url)
  await page.waitForSelector('[data-testid="bundle-drop"]')
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

/** Drops a file with `text` on the drop zone, and returns the verdict shown for it. */
async function dropOnPage(
  name: string,
  text: string,
): Promise<{ text: string; code: string; assurance: string }> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, text }) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([text], name, { type: 'application/json' }))
      return transfer
    },
    { name, text },
  )
  await page.dispatchEvent('[data-testid="bundle-drop"]', 'drop', { dataTransfer })
  const result = page.locator('[data-testid="bundle-result"]')
  await result.filter({ hasText: name }).waitFor()
  return {
    text: (await result.textContent()) ?? '',
    code: (await result.getAttribute('data-code')) ?? '',
    assurance: (await result.getAttribute('data-assurance')) ?? '',
  }
}

describe('the audit bundle on the demo page', () => {
  let bundleText: string

  it('downloads the audit bundle of the current chain', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="bundle-download"]'),
    ])
    bundleText = await readFile((await download.path()) as string, 'utf8')
    const bundle = JSON.parse(bundleText)
    expect(bundle).toMatchObject({
      format: 'writ-audit-bundle/1',
      chain: demo.gate.chainId,
      from: 0,
    })
    expect(bundle.receipts.length).toBeGreaterThan(3)
    expect(bundle.checkpoint).toContain(`/writ/${demo.gate.chainId}\n${bundle.receipts.length}\n`)
  })

  it('verifies a dropped good bundle in the browser: checkpointed', async () => {
    const verdict = await dropOnPage('good-bundle.json', bundleText)
    expect(verdict).toMatchObject({ assurance: 'checkpointed', code: '' })
    expect(verdict.text).toMatch(/^✓ good-bundle\.json: checkpointed/)
  })

  it('refuses a dropped bundle with an edited receipt (SIGNATURE_INVALID) or a removed one (CHAIN_GAP)', async () => {
    const bundle = JSON.parse(bundleText)
    const [header, claims, signature] = bundle.receipts[2].split('.')
    const edited = JSON.parse(Buffer.from(claims, 'base64url').toString())
    edited.decision = edited.decision === 'PERMIT' ? 'DENY' : 'PERMIT'
    const receipts = [...bundle.receipts]
    receipts[2] = `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`
    const tampered = await dropOnPage(
      'tampered-bundle.json',
      JSON.stringify({ ...bundle, receipts }),
    )
    expect(tampered).toMatchObject({ assurance: 'none', code: 'SIGNATURE_INVALID' })
    expect(tampered.text).toContain('at seq 2')

    const missing = bundle.receipts.filter((_: string, seq: number) => seq !== 1)
    const gap = await dropOnPage(
      'missing-bundle.json',
      JSON.stringify({ ...bundle, receipts: missing }),
    )
    expect(gap).toMatchObject({ assurance: 'none', code: 'CHAIN_GAP' })
  })

  it('refuses a bundle whose checkpoint was swapped for another tree (PROOF_INVALID)', async () => {
    const bundle = JSON.parse(bundleText)
    const shorter = { ...bundle, receipts: bundle.receipts.slice(0, -1) }
    const verdict = await dropOnPage('truncated-bundle.json', JSON.stringify(shorter))
    expect(verdict).toMatchObject({ assurance: 'signed', code: 'PROOF_INVALID' })
  })
})
