import OpenAI from 'openai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGatedFetch } from '../src/index.js'
import { nodeReceiptGuard } from '../src/node.js'
import { listen, newGate, type RunningServer } from './support.js'

// A tiny OpenAI-compatible API behind the receipt guard, on a real node:http server.
describe('the openai client with a gated fetch', () => {
  const gate = newGate()
  let server: RunningServer
  let completions = 0

  beforeEach(async () => {
    completions = 0
    const keys = await gate.keys()
    let guarded: ReturnType<typeof nodeReceiptGuard> | undefined
    server = await listen((request, response) => guarded?.(request, response))
    guarded = nodeReceiptGuard(
      { keys, audience: server.origin, replay: 'memory' },
      (_request, response, writ) => {
        completions += 1
        const body = JSON.parse(new TextDecoder().decode(writ.body)) as { model: string }
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1,
            model: body.model,
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                message: { role: 'assistant', content: 'hello', refusal: null },
              },
            ],
          }),
        )
      },
    )
  })

  afterEach(async () => {
    await server.close()
  })

  function client() {
    return new OpenAI({
      baseURL: `${server.origin}/v1`,
      apiKey: 'test',
      maxRetries: 0,
      fetch: createGatedFetch(gate, { agent: 'chat-bot' }),
    })
  }

  it('reaches the guarded API on PERMIT', async () => {
    const completion = await client().chat.completions.create({
      model: 'gpt-allowed',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(completion.choices[0]?.message.content).toBe('hello')
    expect(completions).toBe(1)
  })

  it('gets a readable 403 on refusal, and the API is never called', async () => {
    const error = await client()
      .chat.completions.create({
        model: 'gpt-forbidden',
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError)
    const denied = error as InstanceType<typeof OpenAI.PermissionDeniedError>
    expect(denied.status).toBe(403)
    expect(denied.code).toBe('ACTION_REFUSED')
    expect(denied.message).toContain('DENY')
    expect(denied.message).toContain('MODEL_NOT_ALLOWED')
    expect(completions).toBe(0)
  })
})
