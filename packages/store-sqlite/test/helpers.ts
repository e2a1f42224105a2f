import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppendContext, IssuedReceipt } from '@writ/core'
import type { DecisionKind, ReceiptClaims } from '@writ/verify'
import { perTest } from '../../../test/support/per-test.js'

/** A fresh temporary directory, removed by the returned `remove`. */
export function temporaryDirectory(): {
  path: string
  file: (name?: string) => string
  remove: () => void
} {
  const path = mkdtempSync(join(tmpdir(), 'writ-store-sqlite-'))
  return {
    path,
    file: (name = 'writ.db') => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  }
}

/**
 * A fresh temporary directory for each test of the enclosing `describe` block, removed
 * after the test. The object returned stands for the current test's directory.
 */
export function useTemporaryDirectory(): {
  readonly path: string
  file: (name?: string) => string
} {
  const active = perTest(temporaryDirectory, (directory) => directory.remove())
  return {
    get path() {
      return active().path
    },
    file: (name) => active().file(name),
  }
}

/** What {@link fakeIssuer} may vary. */
export interface FakeIssueOptions {
  readonly decision?: DecisionKind
  readonly req?: string
  readonly jti?: string
  readonly reserve?: boolean
  readonly iat?: number
}

/**
 * An issuer that builds unsigned but well-shaped compact tokens: enough to test the
 * store's bookkeeping. Signed receipts are covered by the gate tests.
 */
export function fakeIssuer(
  options: FakeIssueOptions = {},
): (context: AppendContext) => IssuedReceipt {
  return ({ position, exceeded }) => {
    const decision = options.decision ?? (exceeded === null ? 'PERMIT' : 'DENY')
    const claims: ReceiptClaims = {
      v: 1,
      iss: 'https://authority.test',
      jti: options.jti ?? randomUUID(),
      iat: options.iat ?? 1_700_000_000,
      exp: (options.iat ?? 1_700_000_000) + 300,
      sub: 'agent',
      req: options.req ?? randomUUID(),
      decision,
      reason: exceeded === null ? 'RULE_PERMIT' : 'LIMIT_EXCEEDED',
      rule: null,
      policy: { id: 'test', digest: `sha256:${'0'.repeat(64)}` },
      act: { name: 'test.action', args: `sha256:${'1'.repeat(64)}` },
      chain: { id: position.chainId, seq: position.seq, prev: position.prev },
    }
    const header = Buffer.from('{"alg":"EdDSA","typ":"writ-receipt+jwt","kid":"k"}').toString(
      'base64url',
    )
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
    return {
      token: `${header}.${payload}.c2ln`,
      claims,
      reserve: options.reserve ?? (decision === 'PERMIT' && exceeded === null),
    }
  }
}

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

/** The `code` of what `promise` rejects with (fails the test if it resolves). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  throw new Error('expected a rejection')
}

/** The `code` of what `run` throws. */
export function thrownCode(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return (error as { code: string }).code
  }
  throw new Error('expected a throw')
}
