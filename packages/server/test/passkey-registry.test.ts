import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openPasskeyRegistry } from '../src/approvals/passkey-registry.js'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function temporaryFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'writ-passkeys-'))
  directories.push(directory)
  return join(directory, 'approvers.passkeys.json')
}

const passkey = {
  approver: 'alice',
  id: 'Y3JlZGVudGlhbC0x',
  publicKey: 'pQECAyYgASFYIA',
  counter: 0,
  created: 1,
}

describe('passkey registry', () => {
  it('keeps passkeys in a 0600 file across restarts, and refuses one registered twice', async () => {
    const file = temporaryFile()
    const registry = await openPasskeyRegistry(file)
    await registry.add(passkey)
    await registry.touch(passkey.id, 5)
    await registry.touch(passkey.id, 3)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).not.toContain('token')
    const reopened = await openPasskeyRegistry(file)
    expect(reopened.byId(passkey.id)).toMatchObject({ approver: 'alice', counter: 5 })
    await expect(reopened.add(passkey)).rejects.toMatchObject({ code: 'APPROVAL_DUPLICATE' })
  })

  it('an enrollment link works once, for its approver, until it expires; a guess never does', async () => {
    const registry = await openPasskeyRegistry()
    const now = 1_800_000_000
    const link = registry.enroll('alice', now, 600)
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(registry.peek(link.token, now)).toBe('alice')
    expect(registry.consume(link.token, now + 599)).toBe('alice')
    expect(registry.consume(link.token, now + 599)).toBeUndefined()

    const late = registry.enroll('bob', now, 600)
    expect(registry.consume(late.token, now + 600)).toBeUndefined()
    for (const guess of ['', 'short', late.token.slice(0, -1), `${late.token}x`, 'A'.repeat(32)]) {
      expect(registry.consume(guess, now)).toBeUndefined()
    }
    expect(registry.enroll('carol', now).token).not.toBe(registry.enroll('carol', now).token)
  })

  it('refuses a passkeys file that is not a passkey list, rather than start without its passkeys', async () => {
    const file = temporaryFile()
    const { writeFileSync } = await import('node:fs')
    for (const text of ['{"keys": []}', 'not json', 'null']) {
      writeFileSync(file, text)
      await expect(openPasskeyRegistry(file)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    }
  })
})
