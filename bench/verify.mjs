// Receipts verified per second by @writ/verify (strict Ed25519 + header, key and claims
// checks), in Node with each backend, and in headless Chromium (the built package
// bundled by esbuild, served from 127.0.0.1). Baselines: a bare signature check by the
// platform (node:crypto, WebCrypto), which skips every strictness check, and jose's
// compactVerify of the same tokens.
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { verifyReceipt } from '@writ/verify'
import { base64UrlDecode } from '@writ/verify/internal'
import { setEd25519Backend } from '@writ/verify/testing'
import { build } from 'esbuild'
import { compactVerify, importJWK } from 'jose'
import { chromium } from 'playwright-core'
import { roundRatio, runCases, smoke, summary, table, writeResults } from './harness.mjs'

const policy = compilePolicy(
  {
    writ: 1,
    id: 'bench-verify',
    rules: [{ id: 'all', effect: 'permit', actions: ['payments.*'] }],
  },
  { source: 'bench.json' },
)
const key = generateSigningKey()
const gate = createGate({ policy, keys: key, issuer: 'https://authority.bench' })
const tokens = []
for (let index = 0; index < 1000; index++) {
  const decision = await gate.authorize({
    action: 'payments.transfer',
    args: { to: 'acme', amount: index },
    agent: 'bench-agent',
  })
  tokens.push(decision.receipt)
}
const keySet = gate.verifyKeys()
const jwks = keySet.toJSON()
const { d, ...publicJwk } = key
const nodeKey = createPublicKey({
  key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x },
  format: 'jwk',
})
const joseKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }, 'EdDSA')
const parts = tokens.map((token) => {
  const dot = token.lastIndexOf('.')
  return {
    input: Buffer.from(token.slice(0, dot), 'ascii'),
    signature: Buffer.from(base64UrlDecode(token.slice(dot + 1))),
  }
})

let cursor = 0
const next = () => (cursor = (cursor + 1) % tokens.length)
const verifyWith = (backend) => async () => {
  setEd25519Backend(backend)
  await verifyReceipt(tokens[next()], keySet)
}
const names = {
  bare: 'baseline: node:crypto verify (no strict checks)',
  jose: 'baseline: jose compactVerify',
  node: 'verifyReceipt, node backend',
  webcrypto: 'verifyReceipt, webcrypto backend (Node)',
  noble: 'verifyReceipt, noble backend',
}
const rows = await runCases([
  {
    name: names.bare,
    run: () => {
      const part = parts[next()]
      if (!nodeVerify(null, part.input, nodeKey, part.signature)) throw new Error('bad signature')
    },
  },
  { name: names.jose, run: () => compactVerify(tokens[next()], joseKey) },
  { name: names.node, run: verifyWith('node') },
  { name: names.webcrypto, run: verifyWith('webcrypto') },
  { name: names.noble, run: verifyWith('noble') },
])
setEd25519Backend('auto')

// Headless Chromium.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
let browserResult
if (existsSync(chromiumPath)) {
  const built = await build({
    // The public entry plus what the bench reaches into (base64url, the backend switch).
    stdin: {
      contents: ['./index.js', './internal.js', './testing.js']
        .map((entry) => `export * from '${entry}'`)
        .join('\n'),
      resolveDir: fileURLToPath(new URL('../packages/verify/dist/', import.meta.url)),
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Writ',
    minify: true,
    write: false,
    logLevel: 'silent',
  })
  const bundle = built.outputFiles[0].text
  const server = createServer((request, response) => {
    if (request.url === '/writ-verify.js') {
      response.setHeader('content-type', 'text/javascript')
      response.end(bundle)
      return
    }
    response.setHeader('content-type', 'text/html')
    response.end(
      '<!doctype html><title>writ verify bench</title><script src="/writ-verify.js"></script>',
    )
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${server.address().port}/`)
    browserResult = await page.evaluate(
      async ({ tokens, jwks, rounds, roundMs }) => {
        const writ = globalThis.Writ
        const keys = writ.createKeySet(jwks)
        const raw = writ.base64UrlDecode(jwks.keys[0].x)
        const subtleKey = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, [
          'verify',
        ])
        const encoder = new TextEncoder()
        const parts = tokens.map((token) => {
          const dot = token.lastIndexOf('.')
          return {
            input: encoder.encode(token.slice(0, dot)),
            signature: writ.base64UrlDecode(token.slice(dot + 1)),
          }
        })
        let cursor = 0
        const next = (length) => {
          cursor = (cursor + 1) % length
          return cursor
        }
        const cases = {
          'baseline: WebCrypto verify (no strict checks)': async () => {
            const part = parts[next(parts.length)]
            if (
              !(await crypto.subtle.verify(
                { name: 'Ed25519' },
                subtleKey,
                part.signature,
                part.input,
              ))
            )
              throw new Error('bad')
          },
          'verifyReceipt, webcrypto backend': async () => {
            writ.setEd25519Backend('webcrypto')
            await writ.verifyReceipt(tokens[next(tokens.length)], keys)
          },
          'verifyReceipt, noble backend': async () => {
            writ.setEd25519Backend('noble')
            await writ.verifyReceipt(tokens[next(tokens.length)], keys)
          },
        }
        const perRound = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
        for (const run of Object.values(cases)) for (let index = 0; index < 50; index++) await run()
        for (let round = 0; round < rounds; round++) {
          for (const [name, run] of Object.entries(cases)) {
            const started = performance.now()
            let operations = 0
            while (performance.now() - started < roundMs) {
              await run()
              operations++
            }
            perRound[name].push((operations * 1000) / (performance.now() - started))
          }
        }
        writ.setEd25519Backend('auto')
        return {
          userAgent: navigator.userAgent,
          defaultBackend: writ.getEd25519Backend(),
          perRound,
        }
      },
      { tokens, jwks, rounds: smoke ? 2 : 5, roundMs: smoke ? 100 : 600 },
    )
  } finally {
    await browser.close()
    await new Promise((resolve) => server.close(resolve))
  }
  browserResult.rows = Object.entries(browserResult.perRound).map(([name, values]) => ({
    name: `Chromium: ${name}`,
    opsPerSecond: summary(values),
    perRound: values,
  }))
  browserResult.bundleBytes = bundle.length
}

console.log(table(rows, names.bare))
if (browserResult) {
  console.log(`\n${browserResult.userAgent}`)
  for (const row of browserResult.rows)
    console.log(
      `${row.name.padEnd(60)} ${row.opsPerSecond.median.toFixed(0).padStart(8)}/s  spread ${(row.opsPerSecond.spread * 100).toFixed(0)}%`,
    )
} else {
  console.log(`\nno Chromium at ${chromiumPath}: browser rows skipped`)
}
const strictCost = roundRatio(rows, names.bare, names.node)
const file = writeResults('verify', {
  rows,
  browser: browserResult ?? null,
  strictVsBareNode: {
    ...strictCost,
    meaning: 'cost of verifyReceipt (node backend) / cost of a bare node:crypto verify',
  },
  targets: {},
})
console.log(`results: ${file}`)
