/**
 * The demo end to end: started in-process, driven from its page in headless Chromium.
 * Every scenario runs from the page; each decision and each receiving service's state
 * is checked; receipts are verified and tampered with in the browser; then the built
 * CLI verifies every receipt the demo produced, and the terminal runner's JSON agrees
 * with the page.
 */
import { execFile } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/index.js'
import { BUILT, ensureBuilt, launchBrowser, REPO_ROOT } from './support.js'

const run = promisify(execFile)

let demo: Demo
let browser: Browser
let page: Page
let closed = false

beforeAll(async () => {
  ensureBuilt()
  demo = await startDemo({ port: 0, openai: false })
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.goto(demo.url)
  await page.waitForSelector('body[data-ready="true"]')
}, 300_000)

afterAll(async () => {
  await browser?.close()
  if (!closed) await demo?.close()
})

const attribute = (selector: string, name: string) =>
  page.locator(selector).first().getAttribute(name)

describe('the demo page', () => {
  it('lists every scenario and publishes the keys', async () => {
    const scenarios = demo.scenarios()
    expect(scenarios.length).toBe(12)
    for (const scenario of scenarios) {
      await expect(page.locator(`[data-testid="scenario-${scenario.id}"]`).count()).resolves.toBe(1)
    }
    const keys = (await (await fetch(new URL('/.well-known/writ/keys.json', demo.url))).json()) as {
      keys: { d?: unknown; kty: string }[]
    }
    expect(keys.keys.length).toBe(1)
    expect(keys.keys[0]?.kty).toBe('OKP')
    expect(keys.keys[0]?.d).toBeUndefined()
  })

  it('runs every scenario from the page with the expected decisions', async () => {
    await page.click('[data-testid="run-all"]')
    await page.waitForFunction(
      (count) => document.querySelectorAll('[data-testid^="result-"]').length === count,
      demo.scenarios().length,
      { timeout: 60_000 },
    )
    await page.waitForSelector('body[data-busy="false"]')
    for (const scenario of demo.scenarios()) {
      const selector = `[data-testid="result-${scenario.id}"]`
      expect(await attribute(selector, 'data-passed'), scenario.id).toBe('true')
      expect(await attribute(selector, 'data-decision'), scenario.id).toBe(
        scenario.expected.decision ?? 'NONE',
      )
      expect(await attribute(selector, 'data-reason'), scenario.id).toBe(
        scenario.expected.reason ?? '',
      )
      expect(await attribute(selector, 'data-executed'), scenario.id).toBe(
        String(scenario.expected.executed),
      )
      if (scenario.expected.serviceCodes !== undefined) {
        expect(scenario.expected.serviceCodes, scenario.id).toContain(
          await attribute(selector, 'data-service-code'),
        )
      }
    }
    // The limit scenario: two transfers go through, the third is refused by the limit.
    const limitSteps = page.locator('[data-testid^="step-payment-daily-limit-"]')
    expect(await limitSteps.count()).toBe(3)
    expect(await limitSteps.nth(0).getAttribute('data-decision')).toBe('PERMIT')
    expect(await limitSteps.nth(1).getAttribute('data-decision')).toBe('PERMIT')
    expect(await limitSteps.nth(2).getAttribute('data-reason')).toBe('LIMIT_EXCEEDED')
    // The replay: the first use executed, the copy was refused.
    expect(await attribute('[data-testid="step-attack-replay-0"]', 'data-decision')).toBe('PERMIT')
    expect(await attribute('[data-testid="step-attack-replay-1"]', 'data-service-code')).toBe(
      'REPLAYED',
    )
  })

  it('shows what each receiving service did, and only that', async () => {
    // Bank: 40 (small), 450 + 450 (limit scenario), 30 (before the replay). Nothing else.
    const transfers = page.locator('[data-testid="bank-transfers"] li')
    const amounts = await transfers.evaluateAll((items) =>
      items.map((item) => Number(item.getAttribute('data-amount'))),
    )
    expect(amounts).toEqual([40, 450, 450, 30])
    expect(
      await attribute('[data-testid="bank-balances"] tr[data-account="ops"]', 'data-balance'),
    ).toBe(String(25000 - 970))
    expect(
      await attribute(
        '[data-testid="bank-balances"] tr[data-account="mallory-holdings"]',
        'data-balance',
      ),
    ).toBe('0')
    const bankRefusals = await page
      .locator('[data-testid="bank-refusals"] li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-code')))
    expect(bankRefusals).toEqual(['RECEIPT_MISSING', 'REPLAYED', 'ARGS_MISMATCH'])

    // Warehouse: the internal export only.
    const destinations = await page
      .locator('[data-testid="warehouse-exports"] li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-destination')))
    expect(destinations).toEqual(['internal://analytics/quarterly-review'])

    // EHR: p-100 has one new version (the consented note), p-200 none.
    expect(
      await attribute('[data-testid="ehr-records"] [data-patient="p-100"]', 'data-versions'),
    ).toBe('2')
    expect(
      await attribute('[data-testid="ehr-records"] [data-patient="p-200"]', 'data-versions'),
    ).toBe('1')

    // The same, from the services themselves.
    const state = demo.servicesState()
    expect(state.bank.transfers.map((transfer) => transfer.amount)).toEqual([40, 450, 450, 30])
    expect(state.bank.closedAccounts).toEqual([])
    expect(state.warehouse.exports.map((entry) => entry.destination)).toEqual([
      'internal://analytics/quarterly-review',
    ])
    expect(
      state.ehr.patients.find((patient) => patient.patient === 'p-100')?.versions.at(-1)?.field,
    ).toBe('progress_note')
  })

  it('verifies a receipt in the browser, on both backends', async () => {
    await page.click('[data-testid="receipt-payment-small-0"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-ok="true"]')
    expect(await attribute('[data-testid="inspector-result"]', 'data-decision')).toBe('PERMIT')
    expect(await attribute('[data-testid="inspector-result"]', 'data-backend')).toBe('webcrypto')

    await page.selectOption('[data-testid="backend"]', 'noble')
    await page.click('[data-testid="inspector-verify"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-backend="noble"]')
    expect(await attribute('[data-testid="inspector-result"]', 'data-ok')).toBe('true')
    await page.selectOption('[data-testid="backend"]', 'webcrypto')
  })

  it('names the failure when a receipt is tampered with', async () => {
    // A DENY receipt, edited to say PERMIT, keeping its signature.
    await page.click('[data-testid="receipt-payment-sanctioned-0"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-ok="true"]')
    expect(await attribute('[data-testid="inspector-result"]', 'data-decision')).toBe('DENY')
    await page.click('[data-testid="tamper-decision"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-ok="false"]')
    expect(await attribute('[data-testid="inspector-result"]', 'data-code')).toBe(
      'SIGNATURE_INVALID',
    )
    const claims = await page.locator('[data-testid="inspector-claims"]').textContent()
    expect(claims).toContain('"decision": "PERMIT"')

    // A PERMIT whose arguments digest was changed.
    await page.click('[data-testid="receipt-payment-small-0"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-ok="true"]')
    await page.click('[data-testid="tamper-args"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-ok="false"]')
    expect(await attribute('[data-testid="inspector-result"]', 'data-code')).toBe(
      'SIGNATURE_INVALID',
    )

    // Garbage is malformed, not a crash.
    await page.fill('[data-testid="inspector-token"]', 'not-a-receipt')
    await page.click('[data-testid="inspector-verify"]')
    await page.waitForSelector('[data-testid="inspector-result"][data-code="MALFORMED"]')
  })

  it('verifies the whole chain and its checkpoint in the browser', async () => {
    await page.click('[data-testid="verify-chain"]')
    await page.waitForSelector('[data-testid="chain-result"][data-valid]')
    expect(await attribute('[data-testid="chain-result"]', 'data-valid')).toBe('true')
    const chain = await demo.chain()
    expect(chain.checkpoint).not.toBeNull()
    expect(await attribute('[data-testid="chain-result"]', 'data-size')).toBe(
      String(chain.receipts.length),
    )
    // 11 decisions of the nine agent scenarios, + 1 before the replay, + 1 before the
    // tampering; the attacks themselves ask the gate nothing.
    expect(chain.receipts.length).toBe(13)

    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true })
    await page.screenshot({ path: join(REPO_ROOT, 'test-output', 'demo.png'), fullPage: true })
  })

  it('produced receipts that `writ chain verify` accepts with the published keys', async () => {
    await demo.close()
    closed = true
    const { stdout } = await run(
      process.execPath,
      [BUILT.cli, 'chain', 'verify', '--store', demo.storePath, '--keys', demo.keysPath, '--json'],
      { cwd: REPO_ROOT },
    )
    const report = JSON.parse(stdout) as {
      valid: boolean
      keysFrom: string
      chains: { chain: string; valid: boolean; size: number }[]
    }
    expect(report.valid).toBe(true)
    expect(report.keysFrom).toBe('keys')
    expect(report.chains).toEqual([
      expect.objectContaining({ chain: 'demo', valid: true, size: 13 }),
    ])
  })

  it('matches the terminal runner: same scenario ids, same decisions and reasons', async () => {
    const { stdout } = await run(process.execPath, [BUILT.runner, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, OPENAI_API_KEY: '' },
    })
    const terminal = JSON.parse(stdout) as {
      storePath: string
      keysPath: string
      results: {
        id: string
        passed: boolean
        steps: { decision: string | null; reason: string | null; serviceCode: string | null }[]
      }[]
    }
    const fromPage = demo.results().map((result) => ({
      id: result.id,
      steps: result.steps.map((step) => ({
        decision: step.decision,
        reason: step.reason,
        serviceCode: step.service?.code ?? null,
      })),
    }))
    const fromTerminal = terminal.results.map((result) => ({
      id: result.id,
      steps: result.steps.map(({ decision, reason, serviceCode }) => ({
        decision,
        reason,
        serviceCode,
      })),
    }))
    expect(fromTerminal).toEqual(fromPage)
    expect(terminal.results.every((result) => result.passed)).toBe(true)

    // The terminal run's receipts verify too.
    const { stdout: verified } = await run(
      process.execPath,
      [
        BUILT.cli,
        'chain',
        'verify',
        '--store',
        terminal.storePath,
        '--keys',
        terminal.keysPath,
        '--json',
      ],
      { cwd: REPO_ROOT },
    )
    expect((JSON.parse(verified) as { valid: boolean }).valid).toBe(true)
  })
})
