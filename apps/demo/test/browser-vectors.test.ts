/**
 * The verification code the page runs (the esbuild bundle of @writ/verify), inside
 * headless Chromium: every Wycheproof Ed25519 case, and the speccheck edge cases,
 * on the WebCrypto backend and on the portable noble backend.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILT, ensureBuilt, launchBrowser, readVector } from './support.js'

interface WycheproofFile {
  readonly testGroups: readonly {
    readonly publicKey: { readonly pk: string }
    readonly tests: readonly {
      readonly tcId: number
      readonly msg: string
      readonly sig: string
      readonly result: 'valid' | 'invalid'
    }[]
  }[]
}

interface SpeccheckCase {
  readonly message: string
  readonly pub_key: string
  readonly signature: string
}

interface VectorCase {
  readonly id: string
  readonly publicKey: string
  readonly message: string
  readonly signature: string
}

const wycheproof = readVector<WycheproofFile>('ed25519_test.json')
const wycheproofCases: (VectorCase & { valid: boolean })[] = wycheproof.testGroups.flatMap(
  (group) =>
    group.tests.map((test) => ({
      id: `tc${test.tcId}`,
      publicKey: group.publicKey.pk,
      message: test.msg,
      signature: test.sig,
      valid: test.result === 'valid',
    })),
)
const speccheck = readVector<SpeccheckCase[]>('speccheck_cases.json').map((entry, index) => ({
  id: `speccheck-${index}`,
  publicKey: entry.pub_key,
  message: entry.message,
  signature: entry.signature,
}))
// Small-order A or R, non-canonical A or R, S >= L (as packages/verify classifies them).
const FLAGGED = [0, 1, 2, 6, 7, 8, 9, 10, 11]

/** The part of the browser bundle (src/browser/verify-entry.ts) these tests call. */
interface BrowserVerifier {
  useBackend(backend: 'webcrypto' | 'noble'): Promise<string>
  verifyRawEd25519(publicKey: string, message: string, signature: string): Promise<boolean>
}

let server: Server
let browser: Browser
let page: Page

beforeAll(async () => {
  ensureBuilt()
  const bundle = readFileSync(BUILT.bundle)
  server = createServer((request, response) => {
    if (request.url === '/verify.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' })
      response.end(bundle)
      return
    }
    response.writeHead(200, { 'content-type': 'text/html' })
    response.end(
      '<!doctype html><title>vectors</title><script type="module">' +
        "import * as writ from '/verify.js'; globalThis.writ = writ</script>",
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  browser = await launchBrowser()
  page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  await page.waitForFunction(() => 'writ' in globalThis)
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

async function verifyInPage(
  backend: 'webcrypto' | 'noble',
  cases: readonly VectorCase[],
): Promise<{ backend: string; results: Record<string, boolean> }> {
  return page.evaluate(
    async ({ backend, cases }) => {
      // The bundle the demo page loads, exposed by the test page as `globalThis.writ`.
      const writ = (globalThis as unknown as { writ: BrowserVerifier }).writ
      const used = await writ.useBackend(backend)
      const results: Record<string, boolean> = {}
      for (const entry of cases) {
        results[entry.id] = await writ.verifyRawEd25519(
          entry.publicKey,
          entry.message,
          entry.signature,
        )
      }
      return { backend: used, results }
    },
    { backend, cases },
  )
}

describe.each(['webcrypto', 'noble'] as const)(
  'the page verifier in Chromium, %s backend',
  (backend) => {
    it('runs on the backend asked for', async () => {
      const { backend: used } = await verifyInPage(backend, [])
      expect(used).toBe(backend)
    })

    it(`agrees with every Wycheproof verdict (${wycheproofCases.length} cases)`, async () => {
      expect(wycheproofCases.length).toBeGreaterThanOrEqual(150)
      const { results } = await verifyInPage(backend, wycheproofCases)
      const expected = Object.fromEntries(wycheproofCases.map((entry) => [entry.id, entry.valid]))
      expect(results).toEqual(expected)
    })

    it('rejects every small-order, non-canonical and S >= L speccheck case', async () => {
      const { results } = await verifyInPage(backend, speccheck)
      for (const index of FLAGGED)
        expect(results[`speccheck-${index}`], `case ${index}`).toBe(false)
      // The cofactorless equation: case 3 holds, 4 and 5 hold only cofactored.
      expect([results['speccheck-3'], results['speccheck-4'], results['speccheck-5']]).toEqual([
        true,
        false,
        false,
      ])
    })
  },
)
