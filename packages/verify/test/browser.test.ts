import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalArgs } from '../src/canonical-args.js'
import { createKeySet } from '../src/key-set.js'
import { buildChain, createTestKey, signCheckpoint } from './helpers.js'
import { readVector } from './vectors.js'

// The verifier runs in browsers: the source is bundled for the browser platform (a static
// `node:` import would fail the bundle) and run in headless Chromium on a 127.0.0.1 page
// (a secure context, so WebCrypto is there).
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

let browser: Browser
let server: Server
let bundle: string

beforeAll(async () => {
  const result = await build({
    // The public entry and the ones this test reaches into (hex, raw Ed25519, the backend)
    stdin: {
      contents: ['./index.ts', './internal.ts', './testing.ts']
        .map((entry) => `export * from '${entry}'`)
        .join('\n'),
      resolveDir: fileURLToPath(new URL('../src/', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Writ',
    write: false,
    logLevel: 'silent',
  })
  bundle = result.outputFiles[0]!.text
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html')
    response.end('<!doctype html><title>writ verify</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe('in headless Chromium', () => {
  it('has a browser to run', () => {
    expect(existsSync(chromiumPath)).toBe(true)
  })

  it('bundles without node: imports and verifies the vectors, receipts and chains like Node', async () => {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.addScriptTag({ content: bundle })

    const key = createTestKey()
    const chain = buildChain(key, 5)
    const keys = createKeySet({ keys: [key.jwk] }).toJSON()
    const checkpoint = signCheckpoint(key, chain)
    const jcs = ['arrays', 'french', 'structures', 'unicode', 'values', 'weird'].map((name) => ({
      input: readVector('jcs', 'input', `${name}.json`),
      output: readVector('jcs', 'output', `${name}.json`),
    }))

    const result = await page.evaluate(
      async ({ wycheproofText, chain, keys, checkpoint, jcs }) => {
        // biome-ignore lint/suspicious/noExplicitAny: the bundle's global, typed in Node only
        const writ = (globalThis as any).Writ
        const wycheproof = JSON.parse(wycheproofText)
        const failures: string[] = []
        const defaultBackend = writ.getEd25519Backend()
        for (const backend of ['webcrypto', 'noble']) {
          for (const group of wycheproof.testGroups) {
            const publicKey = writ.hexToBytes(group.publicKey.pk)
            for (const test of group.tests) {
              const ok = await writ.verifyEd25519(
                writ.hexToBytes(test.sig),
                writ.hexToBytes(test.msg),
                publicKey,
                { backend },
              )
              if (ok !== (test.result === 'valid')) failures.push(`${backend} tcId ${test.tcId}`)
            }
          }
        }
        const identity = new Uint8Array(32)
        identity[0] = 1
        const forged = new Uint8Array(64)
        forged[0] = 1
        const stock = await crypto.subtle.verify(
          { name: 'Ed25519' },
          await crypto.subtle.importKey('raw', identity, { name: 'Ed25519' }, false, ['verify']),
          forged,
          new Uint8Array([1, 2, 3]),
        )
        const forgery = await writ.verifyEd25519(forged, new Uint8Array([1, 2, 3]), identity)
        const report = await writ.verifyChain(chain, keys, { checkpoints: [checkpoint] })
        const truncated = await writ.verifyChain(chain.slice(0, 3), keys, {
          checkpoints: [checkpoint],
        })
        const receipt = await writ.verifyReceipt(chain[0], keys)
        const jcsOk = jcs.every(
          ({ input, output }: { input: string; output: string }) =>
            writ.canonicalize(JSON.parse(input)) === output,
        )
        // Arguments (one-pass canonicalization, noble SHA-256 here), as text and as values.
        const args = jcs.flatMap(({ input }: { input: string }) =>
          [`{"v":${input}}`, { v: JSON.parse(input) }].map((value) => {
            try {
              const { canonical, digest } = writ.canonicalArgs(value)
              return `${canonical} ${digest}`
            } catch (error) {
              return (error as { code: string }).code
            }
          }),
        )
        let duplicate = ''
        try {
          writ.canonicalArgs('{"a":1,"a":2}')
        } catch (error) {
          duplicate = (error as { code: string }).code
        }
        return {
          failures,
          defaultBackend,
          stock,
          forgery,
          report,
          truncated: truncated.code,
          decision: receipt.claims.decision,
          jcsOk,
          args,
          duplicate,
        }
      },
      { wycheproofText: readVector('ed25519_test.json'), chain, keys, checkpoint, jcs },
    )

    expect(result.failures).toEqual([])
    expect(result.defaultBackend).toBe('webcrypto')
    // Chromium's stock WebCrypto result is recorded, whatever it is; Writ's must be false.
    expect(typeof result.stock).toBe('boolean')
    expect(result.forgery).toBe(false)
    expect(result.report).toMatchObject({ valid: true, size: 5 })
    expect(result.truncated).toBe('CHECKPOINT_MISMATCH')
    expect(result.decision).toBe('PERMIT')
    expect(result.jcsOk).toBe(true)
    expect(result.args).toEqual(
      jcs.flatMap(({ input }) =>
        [`{"v":${input}}`, { v: JSON.parse(input) as unknown }].map((value) => {
          try {
            const { canonical, digest } = canonicalArgs(value)
            return `${canonical} ${digest}`
          } catch (error) {
            return (error as { code: string }).code
          }
        }),
      ),
    )
    expect(result.duplicate).toBe('INPUT_DUPLICATE_KEY')
    await page.close()
  })
})
