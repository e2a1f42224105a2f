/**
 * The evidence download in headless Chromium: the page's one link gives a tar file with the
 * store, the keys and a checkpoint; unpacked, the exact command the page shows passes with
 * the real CLI, and fails with the right code once one file is changed.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/index.js'
import { BUILT, ensureBuilt, launchBrowser } from './support.js'

let demo: Demo
let browser: Browser
let workDir: string

beforeAll(async () => {
  ensureBuilt()
  workDir = mkdtempSync(join(tmpdir(), 'writ-evidence-'))
  demo = await startDemo({ port: 0, openai: false })
  await demo.runAll()
  browser = await launchBrowser()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

/** Unpacks a ustar archive into `into` (regular files only); returns the names. */
function untar(archive: Buffer, into: string): string[] {
  const names: string[] = []
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('latin1')
        .replace(/\0.*$/s, '')
    const name = field(0, 100)
    const size = Number.parseInt(field(124, 12).trim(), 8)
    let sum = 0
    for (let index = 0; index < 512; index++)
      sum += index >= 148 && index < 156 ? 32 : (header[index] ?? 0)
    expect(Number.parseInt(field(148, 8).trim(), 8)).toBe(sum)
    expect([field(156, 1), field(257, 6)]).toEqual(['0', 'ustar'])
    expect(name.startsWith('/') || name.split('/').includes('..')).toBe(false)
    const target = join(into, name)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, archive.subarray(offset + 512, offset + 512 + size))
    names.push(name)
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return names
}

/** Runs the page's command (`writ …`) with the built CLI in `cwd`, with --json added. */
function runShownCommand(command: string, cwd: string) {
  const [program, ...args] = command.trim().split(/\s+/)
  expect(program).toBe('writ')
  const run = spawnSync(process.execPath, [BUILT.cli, ...args, '--json'], {
    cwd,
    encoding: 'utf8',
  })
  return { status: run.status, report: JSON.parse(run.stdout || 'null'), stderr: run.stderr }
}

describe('the evidence download on the demo page', () => {
  let command = ''
  let unpacked = ''

  it('downloads one tar file with the store, the keys, a checkpoint and the command', async () => {
    const page = await browser.newPage({ acceptDownloads: true })
    await page.goto(demo.url)
    const link = page.locator('[data-testid="evidence-download"]')
    await link.waitFor()
    command = (await page.locator('[data-testid="evidence-command"]').textContent()) ?? ''
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).toMatch(/^writ-evidence-.+\.tar$/)
    const archive = join(workDir, download.suggestedFilename())
    await download.saveAs(archive)
    await page.close()
    unpacked = join(workDir, 'unpacked')
    expect(untar(readFileSync(archive), unpacked).sort()).toEqual([
      'writ-evidence/README.txt',
      'writ-evidence/checkpoint.jws',
      'writ-evidence/keys.json',
      'writ-evidence/receipts.db',
    ])
    // The command the page shows is the one the archive's README gives.
    expect(readFileSync(join(unpacked, 'writ-evidence/README.txt'), 'utf8')).toContain(command)
  })

  it('passes `writ chain verify` as shown, over every receipt of the run', async () => {
    const { status, report, stderr } = runShownCommand(command, unpacked)
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' })
    const receipts = (await demo.chain()).receipts.length
    expect(report.valid).toBe(true)
    expect(report.keysFrom).toBe('keys')
    expect(report.chains).toHaveLength(1)
    expect(report.chains[0].size).toBeGreaterThanOrEqual(receipts)
    expect(report.chains[0].checkpoints).toBeGreaterThanOrEqual(1)
  })

  it('fails with the code of the change once the checkpoint is edited', () => {
    const path = join(unpacked, 'writ-evidence/checkpoint.jws')
    const token = readFileSync(path, 'utf8').trim()
    const [header = '', payload = '', signature = ''] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    claims.size -= 1
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url')
    writeFileSync(path, `${header}.${forged}.${signature}\n`)
    const { status, report } = runShownCommand(command, unpacked)
    expect(status).toBe(1)
    expect(report.valid).toBe(false)
    expect(report.chains[0].code).toBe('CHECKPOINT_INVALID')
  })
})
