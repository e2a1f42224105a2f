import { digestOf } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import {
  defaultHttpArgs,
  type HttpActionInput,
  isJsonContentType,
  jsonTextOf,
} from './http-action.js'

function inputOf(url: string, body = '', contentType = 'application/json'): HttpActionInput {
  const bytes = new TextEncoder().encode(body)
  const request = new Request(url, {
    method: body === '' ? 'GET' : 'POST',
    headers: { 'content-type': contentType },
    ...(body === '' ? {} : { body }),
  })
  return {
    request,
    method: request.method,
    url: new URL(url),
    body: bytes,
    digest: digestOf(bytes),
    jsonText: jsonTextOf(contentType, bytes),
  }
}

describe('HTTP action arguments', () => {
  it('recognises JSON media types, parameters ignored', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true)
    expect(isJsonContentType('application/merge-patch+json')).toBe(true)
    expect(isJsonContentType('text/plain')).toBe(false)
    expect(isJsonContentType(null)).toBe(false)
  })

  it('keeps the raw JSON text so the gate sees duplicate keys', () => {
    const args = defaultHttpArgs(inputOf('https://x.test/a', '{"a":1,"a":2}'))
    expect(args.endsWith(',"body":{"a":1,"a":2}}')).toBe(true)
  })

  it('leaves the body out when it is not JSON, and keeps a __proto__ query name as data', () => {
    const args = JSON.parse(defaultHttpArgs(inputOf('https://x.test/a?__proto__=1', 'not json')))
    expect(args).not.toHaveProperty('body')
    expect(Object.getOwnPropertyNames(args.query)).toEqual(['__proto__'])
  })

  it('leaves out a body that is not UTF-8', () => {
    expect(jsonTextOf('application/json', new Uint8Array([0x22, 0xff, 0x22]))).toBeUndefined()
  })
})
