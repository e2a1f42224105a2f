import { describe, expect, it } from 'vitest'
import { validateActionName } from './action-name.js'
import type { WritError } from './errors.js'

describe('validateActionName', () => {
  it('returns a valid name and refuses others with ACTION_NAME_INVALID', () => {
    expect(validateActionName('payments.transfer')).toBe('payments.transfer')
    for (const name of ['', 'a b', 'x'.repeat(129), 7]) {
      expect(() => validateActionName(name)).toThrow(
        expect.objectContaining({ code: 'ACTION_NAME_INVALID' }) as WritError,
      )
    }
  })
})
