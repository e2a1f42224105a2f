import { describe, expect, it } from 'vitest'
import { readJsonObject } from './decisions.js'

const post = (body: BodyInit) =>
  new Request('http://authority.test/v1/decisions', { method: 'POST', body })

describe('readJsonObject', () => {
  it('returns the body as an object', async () => {
    expect(await readJsonObject(post('{"action":"pay","args":"{}"}'), 1024)).toEqual({
      action: 'pay',
      args: '{}',
    })
  })

  it.each([
    ['a body past the limit', 'x'.repeat(2048), 413, 'BODY_TOO_LARGE'],
    ['an array', '[1]', 400, 'INPUT_NOT_OBJECT'],
    ['null', 'null', 400, 'INPUT_NOT_OBJECT'],
    ['broken JSON', '{"a":', 400, 'INPUT_SYNTAX'],
  ])('refuses %s', async (_name, body, status, code) => {
    const result = await readJsonObject(post(body), 1024)
    expect(result).toBeInstanceOf(Response)
    const response = result as Response
    expect(response.status).toBe(status)
    expect(((await response.json()) as { code: string }).code).toBe(code)
  })

  it('refuses bytes that are not UTF-8', async () => {
    const result = (await readJsonObject(
      post(new Uint8Array([0x7b, 0xff, 0x7d])),
      1024,
    )) as Response
    expect(result.status).toBe(400)
  })
})
