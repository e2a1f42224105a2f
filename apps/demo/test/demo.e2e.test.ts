/**
 * The demo end to end: started in-process, driven from its page in headless Chromium.
 * Every scenario runs from the page; each decision and each receiving service's state
 * is checked; receipts are verified and tampered with in the browser; then the built
 * CLI verifies every receipt the demo produced, and the terminal runner's JSON agrees
 * with the page.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { contentDigestOf } from '@writ/fetch'
import { canonicalize } from '@writ/verify/internal'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, routeOf, type ServicesState, startDemo } from '../src/index.js'
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
    expect(scenarios.length).toBe(15)
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
    // The args/http split: the gate refuses arguments sent beside a binding, and the bank
    // refuses a real transfer permit moved to its admin endpoint.
    const split = 'step-attack-args-http-split'
    expect(await attribute(`[data-testid="${split}-0"]`, 'data-decision')).toBe('DENY')
    expect(await attribute(`[data-testid="${split}-0"]`, 'data-reason')).toBe('INPUT_INVALID')
    expect(await attribute(`[data-testid="${split}-1"]`, 'data-decision')).toBe('PERMIT')
    expect(await attribute(`[data-testid="${split}-2"]`, 'data-service-code')).toBe(
      'ACTION_MISMATCH',
    )
    // The session taint: the page read (PERMIT), the summary to ops@corp.example sent,
    // the outside email refused by the history rule; in a clean run the same kind of
    // email goes out.
    const taint = 'step-email-after-untrusted-page'
    expect(await attribute(`[data-testid="${taint}-0"]`, 'data-reason')).toBe('WEB_PAGE')
    expect(await attribute(`[data-testid="${taint}-1"]`, 'data-decision')).toBe('PERMIT')
    expect(await attribute(`[data-testid="${taint}-2"]`, 'data-decision')).toBe('DENY')
    expect(await attribute(`[data-testid="${taint}-2"]`, 'data-reason')).toBe('SESSION_TAINTED')
    expect(await attribute('[data-testid="step-email-outside-clean-run-0"]', 'data-decision')).toBe(
      'PERMIT',
    )
  })

  it('shows what each receiving service did, and only that', async () => {
    // Bank: 40 (small), 450 + 450 (limit scenario), 30 (before the replay). Nothing else:
    // the 10 EUR permit of the args/http split was never sent to /transfers.
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
    expect(bankRefusals).toEqual([
      'RECEIPT_MISSING',
      'REPLAYED',
      'ARGS_MISMATCH',
      'ACTION_MISMATCH',
    ])

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

    // Gateway: the status page read, and mail only to ops and to the partner of the
    // clean run; the outside address planted in the page got nothing.
    const mailTo = await page
      .locator('[data-testid="gateway-mail"] li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-to')))
    expect(mailTo).toEqual(['ops@corp.example', 'partner@northwind-consulting.example'])
    expect(state.gateway.mail.map((entry) => entry.to)).toEqual(mailTo)
    expect(state.gateway.pages.map((entry) => entry.url)).toEqual([
      'https://status.acme-supplies.example/',
    ])
    expect(state.gateway.refusals).toEqual([])
  })

  it('verifies the session-taint refusal in the browser', async () => {
    await page.click('[data-testid="receipt-email-after-untrusted-page-2"]')
    await page.waitForSelector(
      '[data-testid="inspector-result"][data-ok="true"][data-decision="DENY"]',
    )
    const claims = await page.locator('[data-testid="inspector-claims"]').textContent()
    expect(claims).toContain('"reason": "SESSION_TAINTED"')
    expect(claims).toContain('"rule": "email-outside-after-untrusted-content"')
  })

  it('verifies a receipt in the browser, on both backends', async () => {
    await page.click('[data-testid="receipt-payment-small-0"]')
    // The inspector still shows the previous test's verified DENY until this one is
    // verified: wait for this receipt's own result, not for any verified one.
    await page.waitForSelector(
      '[data-testid="inspector-result"][data-ok="true"][data-decision="PERMIT"]',
    )
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
    // Wait for this receipt's verdict, not the previous test's (also data-ok="true").
    await page.waitForSelector(
      '[data-testid="inspector-result"][data-ok="true"][data-decision="DENY"]',
    )
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
    // 15 decisions of the eleven agent scenarios, + 1 before the replay, + 1 before the
    // tampering, + 2 of the args/http split (its DENY and the permit it moves).
    expect(chain.receipts.length).toBe(19)

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
      expect.objectContaining({ chain: 'demo', valid: true, size: 19 }),
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

/** Clicks "Run all" and waits for every result and the end of the run. */
async function runAllOnPage(target: Page, count: number): Promise<void> {
  await target.click('[data-testid="run-all"]')
  await target.waitForSelector('body[data-busy="false"]', { timeout: 60_000 })
  await target.waitForFunction(
    (expected) => document.querySelectorAll('[data-testid^="result-"]').length === expected,
    count,
  )
}

/** Every scenario's outcome and steps, as the page shows them. */
function outcomesOnPage(target: Page) {
  return target.locator('[data-testid^="result-"]').evaluateAll((results) =>
    results.map((result) => ({
      id: result.getAttribute('data-testid'),
      passed: result.getAttribute('data-passed'),
      decision: result.getAttribute('data-decision'),
      reason: result.getAttribute('data-reason'),
      executed: result.getAttribute('data-executed'),
      serviceCode: result.getAttribute('data-service-code'),
      steps: [...result.querySelectorAll('tr[data-decision]')].map((step) => [
        step.getAttribute('data-decision'),
        step.getAttribute('data-reason'),
        step.getAttribute('data-service-code'),
      ]),
    })),
  )
}

/** What the services hold, without what differs between runs (receipt ids, times). */
function comparable(state: ServicesState) {
  const refusals = (list: ServicesState['bank']['refusals']) =>
    list.map(({ method, path, status, code }) => ({ method, path, status, code }))
  return {
    bank: {
      balances: state.bank.balances,
      transfers: state.bank.transfers.map(({ receiptId: _receiptId, ...transfer }) => transfer),
      closedAccounts: state.bank.closedAccounts,
      refusals: refusals(state.bank.refusals),
    },
    warehouse: {
      exports: state.warehouse.exports.map(({ receiptId: _receiptId, ...entry }) => entry),
      refusals: refusals(state.warehouse.refusals),
    },
    ehr: {
      patients: state.ehr.patients.map((patient) => ({
        patient: patient.patient,
        versions: patient.versions.map(({ receiptId: _receiptId, ...version }) => version),
      })),
      refusals: refusals(state.ehr.refusals),
    },
    gateway: {
      pages: state.gateway.pages.map(({ receiptId: _receiptId, ...entry }) => entry),
      mail: state.gateway.mail.map(({ receiptId: _receiptId, ...entry }) => entry),
      refusals: refusals(state.gateway.refusals),
    },
  }
}

describe('reset: the demo world back to its start', () => {
  let world: Demo
  let tab: Page
  let firstOutcomes: Awaited<ReturnType<typeof outcomesOnPage>>
  let firstServices: ReturnType<typeof comparable>
  let openingServices: ReturnType<typeof comparable>
  let earlierPermit: { token: string; args: Record<string, unknown> }

  beforeAll(async () => {
    world = await startDemo({ port: 0, openai: false })
    openingServices = comparable(world.servicesState())
    tab = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    await tab.goto(world.url)
    await tab.waitForSelector('body[data-ready="true"]')
  }, 120_000)

  afterAll(async () => {
    await tab?.close()
    await world?.close()
  })

  it('run all, reset, run all: the same decisions and the same service states', async () => {
    const count = world.scenarios().length
    await runAllOnPage(tab, count)
    firstOutcomes = await outcomesOnPage(tab)
    expect(firstOutcomes.map((outcome) => outcome.passed)).toEqual(Array(count).fill('true'))
    firstServices = comparable(world.servicesState())
    expect(firstServices.bank.transfers.map((transfer) => transfer.amount)).toEqual([
      40, 450, 450, 30,
    ])
    const firstWorld = world.world()
    const firstKid = firstWorld.activeKid
    expect((await world.chain()).receipts.length).toBe(19)
    const small = world.results().find((result) => result.id === 'payment-small')?.steps[0]
    expect(small?.decision).toBe('PERMIT')
    earlierPermit = {
      token: small?.receipt ?? '',
      args: small?.args as Record<string, unknown>,
    }

    await tab.click('[data-testid="reset"]')
    await tab.waitForSelector('[data-testid="world"][data-generation="2"]')
    await tab.waitForSelector('body[data-busy="false"]')
    // Everything is back to its start: no results, opening balances and records,
    // no refusals, an empty chain in a new SQLite file, a new signing key.
    expect(await tab.locator('[data-testid^="result-"]').count()).toBe(0)
    expect(comparable(world.servicesState())).toEqual(openingServices)
    expect(
      await tab
        .locator('[data-testid="bank-balances"] tr[data-account="ops"]')
        .getAttribute('data-balance'),
    ).toBe('25000')
    expect(await tab.locator('[data-testid="bank-refusals"] li').count()).toBe(0)
    expect(await world.chain()).toEqual({ chainId: 'demo', receipts: [], checkpoint: null })
    const secondWorld = world.world()
    expect(secondWorld.generation).toBe(2)
    expect(secondWorld.storePath).not.toBe(firstWorld.storePath)
    expect(existsSync(secondWorld.storePath)).toBe(true)
    expect(existsSync(firstWorld.storePath)).toBe(true)
    expect(secondWorld.activeKid).not.toBe(firstKid)
    const keys = await world.publishedKeys()
    expect(keys.keys.map((key) => [key.kid, key.status])).toEqual([
      [firstKid, 'retired'],
      [secondWorld.activeKid, 'active'],
    ])

    await runAllOnPage(tab, count)
    expect(await outcomesOnPage(tab)).toEqual(firstOutcomes)
    expect(comparable(world.servicesState())).toEqual(firstServices)
    expect(world.world().generation).toBe(2)
    expect((await world.chain()).receipts.length).toBe(19)

    await tab.click('[data-testid="verify-chain"]')
    await tab.waitForSelector('[data-testid="chain-result"][data-valid]')
    expect(await tab.locator('[data-testid="chain-result"]').getAttribute('data-valid')).toBe(
      'true',
    )
    expect(await tab.locator('[data-testid="chain-result"]').getAttribute('data-size')).toBe('19')
  })

  it('run all twice in a row starts from a fresh world each time', async () => {
    await runAllOnPage(tab, world.scenarios().length)
    expect(await tab.locator('[data-testid="world"]').getAttribute('data-generation')).toBe('3')
    expect(await outcomesOnPage(tab)).toEqual(firstOutcomes)
    expect(comparable(world.servicesState())).toEqual(firstServices)
    // The in-process API does the same.
    const results = await world.runAll()
    expect(world.world().generation).toBe(4)
    expect(results.every((result) => result.passed)).toBe(true)
    expect(comparable(world.servicesState())).toEqual(firstServices)
    await tab.reload()
    await tab.waitForSelector('body[data-ready="true"]')
    expect(await outcomesOnPage(tab)).toEqual(firstOutcomes)
  })

  it('a card runs on the current state: the daily limit refuses from the first transfer', async () => {
    await tab.click('[data-testid="run-payment-daily-limit"]')
    await tab.waitForSelector('body[data-busy="false"]')
    await tab.waitForSelector(
      '[data-testid="step-payment-daily-limit-0"][data-reason="LIMIT_EXCEEDED"]',
    )
    const reasons = await tab
      .locator('[data-testid^="step-payment-daily-limit-"]')
      .evaluateAll((steps) => steps.map((step) => step.getAttribute('data-reason')))
    expect(reasons).toEqual(['LIMIT_EXCEEDED', 'LIMIT_EXCEEDED', 'LIMIT_EXCEEDED'])
    expect(world.servicesState().bank.transfers.length).toBe(4)
  })

  it('a receipt of an earlier world still verifies, but the reset bank refuses its permit', async () => {
    await tab.fill('[data-testid="inspector-token"]', earlierPermit.token)
    await tab.click('[data-testid="inspector-verify"]')
    await tab.waitForSelector(
      '[data-testid="inspector-result"][data-ok="true"][data-key-status="retired"]',
    )
    expect(
      await tab.locator('[data-testid="inspector-result"]').getAttribute('data-key-status'),
    ).toBe('retired')

    // Sent again to the bank, exactly as it was permitted: the fresh replay cache has
    // never seen it, but the bank trusts the current key only.
    const route = routeOf(world.services, 'payments.transfer', earlierPermit.args)
    const body = canonicalize(earlierPermit.args)
    const response = await fetch(route?.url ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'writ-receipt': earlierPermit.token,
        'content-digest': contentDigestOf(new TextEncoder().encode(body)),
      },
      body,
    })
    expect(response.ok).toBe(false)
    expect(((await response.json()) as { code?: string }).code).toBe('KEY_UNKNOWN')
    expect(world.servicesState().bank.transfers.length).toBe(4)
  })

  it('the tamper control shows the failing code', async () => {
    await tab.click('[data-testid="receipt-payment-sanctioned-0"]')
    await tab.waitForSelector(
      '[data-testid="inspector-result"][data-ok="true"][data-decision="DENY"]',
    )
    await tab.click('[data-testid="tamper-decision"]')
    await tab.waitForSelector('[data-testid="inspector-result"][data-ok="false"]')
    expect(await tab.locator('[data-testid="inspector-code"]').textContent()).toBe(
      'SIGNATURE_INVALID',
    )
    expect(await tab.locator('[data-testid="tamper-note"]').isVisible()).toBe(true)
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true })
    await tab.screenshot({ path: join(REPO_ROOT, 'test-output', 'demo-tamper.png') })
  })
})

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Starts `npm run demo`'s entry point and resolves with everything it printed at start. */
function startDemoProcess(port: number): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [BUILT.main], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), OPENAI_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (output.includes('(Reset and')) resolve({ child, output })
    })
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}): ${output}`)))
  })
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

describe('npm run demo: the port', () => {
  const children: ChildProcess[] = []
  afterAll(async () => {
    await Promise.all(children.map((child) => stopProcess(child)))
  })

  it('prefers PORT, and takes a free port only when that one is taken, printing one URL', async () => {
    const preferred = await freePort()
    const first = await startDemoProcess(preferred)
    children.push(first.child)
    const second = await startDemoProcess(preferred)
    children.push(second.child)

    const urls = (output: string) => output.match(/http:\/\/127\.0\.0\.1:\d+\//g) ?? []
    expect(urls(first.output)).toEqual([`http://127.0.0.1:${preferred}/`])
    expect(urls(second.output)).toHaveLength(1)
    const secondUrl = urls(second.output)[0] ?? ''
    const secondPort = Number(new URL(secondUrl).port)
    expect(secondPort).not.toBe(preferred)
    expect(secondPort).toBeGreaterThan(0)

    // Both pages are up, each its own demo.
    for (const url of [`http://127.0.0.1:${preferred}/`, secondUrl]) {
      const response = await fetch(new URL('/api/scenarios', url))
      expect(response.status).toBe(200)
    }

    // The in-process API says which port it wanted.
    const inProcess = await startDemo({ port: preferred, openai: false })
    try {
      expect(inProcess.portTaken).toBe(preferred)
      expect(new URL(inProcess.url).port).not.toBe(String(preferred))
    } finally {
      await inProcess.close()
    }
  }, 60_000)
})
