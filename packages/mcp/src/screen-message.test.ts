import { describe, expect, it } from 'vitest'
import { screenMessage } from './screen-message.js'

const call = (params: string, id = '1') =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${params}}`

describe('screenMessage', () => {
  it('hands an I-JSON message to the server as parsed', () => {
    expect(screenMessage(call('{"name":"t","arguments":{"a":1}}'))).toMatchObject({
      kind: 'message',
      message: { id: 1, method: 'tools/call', params: { name: 't', arguments: { a: 1 } } },
    })
  })

  it.each([
    ['a duplicate key', call('{"name":"t","arguments":{"a":1,"a":2}}'), 'INPUT_DUPLICATE_KEY'],
    ['__proto__', call('{"name":"t","arguments":{"__proto__":{}}}'), 'INPUT_FORBIDDEN_KEY'],
    ['a lone surrogate', call('{"name":"t","arguments":{"a":"\\ud800"}}'), 'INPUT_LONE_SURROGATE'],
    [
      'an unsafe integer',
      call('{"name":"t","arguments":{"a":9007199254740993}}'),
      'INPUT_UNSAFE_INTEGER',
    ],
  ])('keeps a tools/call with %s from the server, for the gate to refuse', (_name, text, code) => {
    const screened = screenMessage(text)
    expect(screened).toMatchObject({ kind: 'unreadable-call', id: 1, name: 't', text })
    expect(screened.kind === 'unreadable-call' && screened.error.code).toBe(code)
  })

  it('answers other requests that are not I-JSON with Invalid Request, and drops such notifications', () => {
    expect(
      screenMessage('{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"a":1,"a":2}}'),
    ).toMatchObject({
      kind: 'error',
      id: 2,
      code: -32600,
    })
    expect(
      screenMessage('{"jsonrpc":"2.0","method":"notifications/x","params":{"a":1,"a":2}}'),
    ).toEqual({ kind: 'drop' })
  })

  it('answers text that is not JSON, and JSON that is not JSON-RPC', () => {
    expect(screenMessage('{"jsonrpc":')).toMatchObject({ kind: 'error', id: null, code: -32700 })
    expect(screenMessage('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).toMatchObject({
      kind: 'error',
      code: -32600,
    })
  })
})
