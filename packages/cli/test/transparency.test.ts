// writ checkpoint --note, writ proof inclusion|consistency, writ bundle export|verify, with a
// real witness on 127.0.0.1.
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWitnessState, startWitnessServer } from '@writ/server'
import {
  base64Decode,
  createCheckpointTrust,
  formatVerifierKey,
  NOTE_COSIGNATURE_V1,
  parseVerifierKey,
  verifyCheckpointNote,
  verifyConsistency,
  verifyInclusion,
} from '@writ/verify'
import { base64UrlDecode } from '@writ/verify/internal'
import { afterAll, describe, expect, it } from 'vitest'
import { decideArgv, signingWorkspace, useWorkspace, writJson } from './helpers.js'

const ws = useWorkspace(() => signingWorkspace())
const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
})

async function witnessFor(logVkey: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = base64UrlDecode(publicKey.export({ format: 'jwk' }).x as string)
  const dir = mkdtempSync(join(tmpdir(), 'writ-cli-witness-'))
  const name = 'witness.example/cli'
  const server = await startWitnessServer({
    key: {
      name,
      publicKey: raw,
      sign: (message) => new Uint8Array(sign(null, message, privateKey)),
    },
    logs: [parseVerifierKey(logVkey)],
    state: openWitnessState(dir),
  })
  cleanups.push(
    () => server.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  )
  return { url: server.url, vkey: formatVerifierKey(name, NOTE_COSIGNATURE_V1, raw) }
}

describe('writ checkpoint --note, proof and bundle', () => {
  it('signs a cosigned note, proves receipts against it, and exports a bundle that verifies', async () => {
    for (let index = 0; index < 6; index++) {
      expect(
        (await ws.writ(...decideArgv({ to: 'acme', amount: 10 + index }, '--store', 'r.db'))).code,
      ).toBe(0)
    }
    const store = ['--store', 'r.db']
    const plain = await writJson(
      ws,
      'checkpoint',
      ...store,
      '--key',
      'signing.jwk',
      '--note',
      '--json',
    )
    expect(plain.code).toBe(0)
    const vkey = plain.output.vkey as string
    const witness = await witnessFor(vkey)
    const cosigned = await ws.writ(
      'checkpoint',
      ...store,
      '--key',
      'signing.jwk',
      '--note',
      '--witness',
      `${witness.url}=${witness.vkey}`,
    )
    expect(cosigned.code).toBe(0)
    const trust = createCheckpointTrust({ logs: [vkey], witnesses: [witness.vkey], quorum: 1 })
    const checkpoint = await verifyCheckpointNote(cosigned.stdout, trust)
    expect(checkpoint.size).toBe(6)

    const inclusion = await writJson(ws, 'proof', 'inclusion', ...store, '--seq', '2')
    expect(inclusion.output).toMatchObject({ chain: 'main', seq: 2, size: 6 })
    verifyInclusion({
      leaf: base64Decode(inclusion.output.leafHash),
      index: 2,
      size: 6,
      proof: inclusion.output.proof.map((hash: string) => base64Decode(hash)),
      root: checkpoint.root,
    })
    const consistency = await writJson(ws, 'proof', 'consistency', ...store, '--from', '3')
    verifyConsistency({
      fromSize: 3,
      fromRoot: base64Decode(consistency.output.fromRoot),
      toSize: 6,
      toRoot: checkpoint.root,
      proof: consistency.output.proof.map((hash: string) => base64Decode(hash)),
    })
    expect((await ws.writ('proof', 'inclusion', ...store, '--seq', '6')).code).toBe(1)

    const exported = await ws.writ(
      'bundle',
      'export',
      ...store,
      '--keys',
      'keys.json',
      '--policy',
      'policy.yaml',
      '--out',
      'bundle.json',
    )
    expect(exported.code).toBe(0)
    ws.write(
      'trust.json',
      JSON.stringify({
        keys: JSON.parse(readFileSync(ws.path('keys.json'), 'utf8')),
        logs: [vkey],
        witnesses: [witness.vkey],
        quorum: 1,
      }),
    )
    const verified = await ws.writ('bundle', 'verify', 'bundle.json', '--trust', 'trust.json')
    expect(verified).toMatchObject({ code: 0, stdout: 'witnessed\n' })

    const bundle = JSON.parse(readFileSync(ws.path('bundle.json'), 'utf8'))
    bundle.receipts.splice(1, 1)
    ws.write('missing.json', JSON.stringify(bundle))
    const missing = await ws.writ(
      'bundle',
      'verify',
      'missing.json',
      '--trust',
      'trust.json',
      '--json',
    )
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toMatchObject({
      assurance: 'none',
      problem: { code: 'CHAIN_GAP', seq: 1 },
    })
  })

  it('refuses a malformed --witness (USAGE) and signs nothing', async () => {
    expect((await ws.writ(...decideArgv({ to: 'acme', amount: 1 }, '--store', 'r.db'))).code).toBe(
      0,
    )
    const result = await ws.writ(
      'checkpoint',
      '--store',
      'r.db',
      '--key',
      'signing.jwk',
      '--note',
      '--witness',
      'witness.example',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^writ: USAGE:/)
    const kept = await writJson(ws, 'proof', 'inclusion', '--store', 'r.db', '--seq', '0')
    expect(kept.output).toMatchObject({ size: 1 })
  })
})
