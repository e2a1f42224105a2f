import { afterEach, beforeEach } from 'vitest'

/**
 * A value made fresh for each test of the enclosing `describe` block (or file): `create`
 * runs before each test and `dispose` after it. Returns a function that gives the
 * current test's value, and throws when called outside a test.
 */
export function perTest<T>(create: () => T | Promise<T>, dispose: (value: T) => unknown): () => T {
  let current: { readonly value: T } | undefined
  beforeEach(async () => {
    current = { value: await create() }
  })
  afterEach(async () => {
    const ending = current
    current = undefined
    if (ending !== undefined) await dispose(ending.value)
  })
  return () => {
    if (current === undefined) throw new Error('perTest: the value exists only during a test')
    return current.value
  }
}
