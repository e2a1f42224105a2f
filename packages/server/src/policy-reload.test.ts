import type { CompiledPolicy } from '@writ/core'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'
import { createPolicyReloader } from './policy-reload.js'

const policyText = (id: string) =>
  `writ: 1\nid: ${id}\nrules:\n  - id: pay\n    effect: permit\n    actions: [pay]\n`

function setup(read: (path: string) => Promise<string>, policyFile: string | null = 'p.yaml') {
  const applied: CompiledPolicy[] = []
  const metrics = createMetrics({ version: 'test', nodeVersion: 'test' })
  const reload = createPolicyReloader({
    gate: { setPolicy: (policy) => void applied.push(policy) },
    metrics,
    ...(policyFile === null ? {} : { policyFile }),
    readPolicyFile: read,
  })
  return { applied, metrics, reload }
}

describe('createPolicyReloader', () => {
  it('applies a valid policy and counts it', async () => {
    const { applied, metrics, reload } = setup(async () => policyText('first'))
    const result = await reload()
    expect(result.status).toBe('applied')
    expect(applied.map((policy) => policy.id)).toEqual(['first'])
    expect(metrics.policyReloads.value({ result: 'ok' })).toBe(1)
  })

  it('keeps the previous policy when the file does not compile', async () => {
    const { applied, metrics, reload } = setup(async () => 'writ: 1\nrules: nope\n')
    const result = await reload()
    expect(result.ok).toBe(false)
    expect(result.status === 'failed' && result.error.code).toBe('POLICY_INVALID')
    expect(applied).toEqual([])
    expect(metrics.policyReloads.value({ result: 'kept-previous' })).toBe(1)
  })

  it('turns a read failure into POLICY_INVALID unless it is already a WritError', async () => {
    const plain = setup(async () => {
      throw new Error('disk gone')
    })
    const plainResult = await plain.reload()
    expect(plainResult.status === 'failed' && plainResult.error.code).toBe('POLICY_INVALID')
    const coded = setup(async () => {
      throw new WritError('KEY_MISSING', 'odd')
    })
    const codedResult = await coded.reload()
    expect(codedResult.status === 'failed' && codedResult.error.code).toBe('KEY_MISSING')
  })

  it('fails with POLICY_INVALID when started without a policy file', async () => {
    const { applied, reload } = setup(async () => policyText('x'), null)
    const result = await reload()
    expect(result.status === 'failed' && result.error.code).toBe('POLICY_INVALID')
    expect(applied).toEqual([])
  })

  it('lets the latest reload win when an earlier read finishes last', async () => {
    const reads: ((text: string) => void)[] = []
    const { applied, metrics, reload } = setup(
      () => new Promise<string>((resolve) => reads.push(resolve)),
    )
    const older = reload()
    const newer = reload()
    reads[1]?.(policyText('newer'))
    expect((await newer).status).toBe('applied')
    reads[0]?.(policyText('older'))
    expect((await older).status).toBe('superseded')
    expect(applied.map((policy) => policy.id)).toEqual(['newer'])
    expect(metrics.policyReloads.value({ result: 'superseded' })).toBe(1)
  })
})
