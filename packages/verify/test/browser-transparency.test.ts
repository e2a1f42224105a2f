// Transparency in headless Chromium (spec section 12): signed notes, cosignatures, the
// witness quorum and RFC 9162 proofs verify in a browser exactly as in Node, with WebCrypto
// and with the portable backend. The bundle has no `node:` import, or it would not build.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import * as ed from '@noble/ed25519'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cosignCheckpointText,
  formatCheckpointText,
  formatNote,
  formatVerifierKey,
  leafHash,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  signNoteText,
} from '../src/index.js'
import { createTestKey } from './helpers.js'

const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
let browser: Browser
let server: Server
let bundle: string

beforeAll(async () => {
  const result = await build({
    stdin: {
      contents: ["export * from './index.ts'", "export * from './testing.ts'"].join('\n'),
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
    response.end('<!doctype html><title>writ transparency</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

const signerOf = (name: string, key = createTestKey()) => ({
  name,
  publicKey: key.publicKey,
  sign: (message: Uint8Array) => ed.sign(message, key.seed),
})

describe('transparency in headless Chromium', () => {
  it('verifies notes, cosignatures, the quorum and proofs on every backend, and refuses forgeries', async () => {
    const log = signerOf('authority.example/writ/main')
    const witness = signerOf('witness.example/w1')
    const text = formatCheckpointText({ origin: log.name, size: 2, root: leafHash('root') })
    const note = formatNote(text, [
      await signNoteText(text, log),
      await cosignCheckpointText(text, witness, 1_700_000_000),
    ])
    const trust = {
      logs: [formatVerifierKey(log.name, NOTE_ED25519, log.publicKey)],
      witnesses: [formatVerifierKey(witness.name, NOTE_COSIGNATURE_V1, witness.publicKey)],
      quorum: 1,
    }
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.addScriptTag({ content: bundle })
    const result = await page.evaluate(
      async ({ note, trust }) => {
        // biome-ignore lint/suspicious/noExplicitAny: the bundle's global, typed in Node only
        const writ = (globalThis as any).Writ
        const codeOf = async (run: () => Promise<unknown>) => {
          try {
            await run()
            return 'OK'
          } catch (error) {
            return (error as { code: string }).code
          }
        }
        const outcomes: Record<string, string[]> = {}
        for (const backend of ['webcrypto', 'noble']) {
          writ.setEd25519Backend(backend)
          const checkpointTrust = writ.createCheckpointTrust(trust)
          const c2sp = writ.parseNote(
            'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n',
          )
          const c2spKey = writ.parseVerifierKey(
            'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
          )
          const forged = note.replace(
            /(witness\.example\/w1 [A-Za-z0-9+/]{20})([A-Za-z0-9+/])/,
            (_m: string, a: string, b: string) => `${a}${b === 'A' ? 'B' : 'A'}`,
          )
          // A tree of 37 leaves kept as a store keeps it, then every proof checked.
          const levels: Uint8Array[][] = []
          const read = (subtrees: { level: number; index: number }[]) =>
            subtrees.map((s) => levels[s.level]![s.index]!)
          const leaves: Uint8Array[] = []
          for (let index = 0; index < 37; index++) {
            const leaf = writ.leafHash(`receipt-${index}`)
            leaves.push(leaf)
            for (const { subtree, hash } of writ.subtreesAfterAppend(
              index,
              leaf,
              read(writ.leftSiblingsOf(index)),
            )) {
              levels[subtree.level] ??= []
              levels[subtree.level]![subtree.index] = hash
            }
          }
          let proofs = 'OK'
          for (let size = 1; size <= 37; size++) {
            const root = await writ.treeRootFrom(read, size)
            for (let index = 0; index < size; index++) {
              const proof = await writ.inclusionProofFrom(read, index, size)
              try {
                writ.verifyInclusion({ leaf: leaves[index], index, size, proof, root })
              } catch {
                proofs = `inclusion ${index}/${size}`
              }
            }
            const fromRoot = await writ.treeRootFrom(read, Math.ceil(size / 2))
            const proof = await writ.consistencyProofFrom(read, Math.ceil(size / 2), size)
            writ.verifyConsistency({
              fromSize: Math.ceil(size / 2),
              fromRoot,
              toSize: size,
              toRoot: root,
              proof,
            })
          }
          outcomes[backend] = [
            String(await writ.verifyNoteSignature(c2sp.text, c2sp.signatures[0], c2spKey)),
            await codeOf(() => writ.verifyCheckpointNote(note, checkpointTrust)),
            await codeOf(() => writ.verifyCheckpointNote(forged, checkpointTrust)),
            await codeOf(() =>
              writ.verifyCheckpointNote(
                note,
                writ.createCheckpointTrust({
                  ...trust,
                  witnesses: [...trust.witnesses],
                  quorum: 1,
                  logs: [],
                }),
              ),
            ),
            proofs,
          ]
        }
        return outcomes
      },
      { note, trust },
    )
    const expected = ['true', 'OK', 'COSIGNATURE_INVALID', 'KEY_UNKNOWN', 'OK']
    expect(result).toEqual({ webcrypto: expected, noble: expected })
  })
})
