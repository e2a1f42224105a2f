import type { CompiledPolicy } from '@writ/core'
import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'
import { createPolicyReloader } from './policy-reload.js'

const policyText = (expected: string) => `writ: 1
id: reloaded
rules:
  - id: no-deletes
    effect: deny
    actions: [files.delete]
tests:
  - name: deleting is refused
    action: files.delete
    expect: { decision: ${expected}, rule: no-deletes }
`

describe('a hot reload and policy self-tests', () => {
  it('keeps the previous policy when the new one fails its self-tests', async () => {
    const applied: CompiledPolicy[] = []
    const metrics = createMetrics({ version: 'test', nodeVersion: 'test' })
    let text = policyText('DENY')
    const reload = createPolicyReloader({
      gate: { setPolicy: (policy) => void applied.push(policy) },
      metrics,
      policyFile: 'p.yaml',
      readPolicyFile: async () => text,
    })
    expect((await reload()).status).toBe('applied')
    text = policyText('PERMIT')
    const result = await reload()
    expect(result.status === 'failed' && result.error.code).toBe('POLICY_SELF_TEST_FAILED')
    expect(applied).toHaveLength(1)
    expect(metrics.policyReloads.value({ result: 'kept-previous' })).toBe(1)
  })
})
