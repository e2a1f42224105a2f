import { describe, expect, it } from 'vitest'
import { allowListedHeaders, defaultActionName } from './http-action.js'

// What policies see of a request (its one view) is derived by `httpRequestView` in
// `@writ/verify` and tested there; the gated fetch's use of it is tested in
// test/gated-fetch.test.ts. This file covers the two helpers the fetch side still owns.
describe('HTTP action helpers', () => {
  it('names an action http.<method> in lower case', () => {
    expect(defaultActionName('POST')).toBe('http.post')
    expect(defaultActionName('DELETE')).toBe('http.delete')
  })

  it('keeps only allow-listed headers, by lower-case name, and nothing when none is present', () => {
    const sent = new Headers({ 'X-Tenant': 'acme', Authorization: 'Bearer secret' })
    const read = (name: string) => sent.get(name)
    const headers = allowListedHeaders(read, ['X-TENANT', 'x-absent'])
    expect(headers).toEqual({ 'x-tenant': 'acme' })
    expect(Object.getPrototypeOf(headers)).toBeNull()
    expect(allowListedHeaders(read, ['x-absent'])).toBeUndefined()
    expect(allowListedHeaders(read, [])).toBeUndefined()
    expect(allowListedHeaders(read, undefined)).toBeUndefined()
  })
})
