// defineTool: the hand-written loop helpers validate and type each tool's arguments with
// its own schema (zod 4, a Standard Schema), after the PERMIT and before the body. An
// argument the schema rejects, or one it would change, never reaches the body.
import { createPaymentsGate } from '@writ/core/testing'
import type OpenAI from 'openai'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineTool, handleChatToolCalls, handleResponseFunctionCalls } from '../src/index.js'
import { dotted, refusalIn, transferSchema, useFakeOpenAI } from './support.js'

const fake = useFakeOpenAI()

function typedTransfer(schema: z.ZodType<{ to: string; amount: number; memo?: string }>) {
  const runs: Array<{ to: string; amount: number }> = []
  const handler = defineTool({
    inputSchema: schema,
    execute: (args) => {
      expectTypeOf(args.amount).toEqualTypeOf<number>()
      expectTypeOf(args.to).toEqualTypeOf<string>()
      runs.push({ to: args.to, amount: args.amount })
      return { sent: args.amount }
    },
  })
  return { runs, handlers: { payments_transfer: handler } }
}

const strictTransfer = z.strictObject({ to: z.string().min(1), amount: z.number().positive() })

async function chatMessage(argumentsText: string) {
  fake.server.script({
    toolCalls: [{ id: 'call_1', name: 'payments_transfer', arguments: argumentsText }],
  })
  const completion = await fake.client.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'pay' }],
    tools: [
      { type: 'function', function: { name: 'payments_transfer', parameters: transferSchema } },
    ],
  })
  return completion.choices[0]!.message
}

describe('defineTool with handleChatToolCalls', () => {
  it('runs the body with the validated, typed arguments on PERMIT', async () => {
    const { runs, handlers } = typedTransfer(strictTransfer)
    const [result] = await handleChatToolCalls(
      createPaymentsGate(),
      await chatMessage('{"to":"alice","amount":40}'),
      handlers,
      { actionName: dotted },
    )
    expect(runs).toEqual([{ to: 'alice', amount: 40 }])
    expect(JSON.parse(String(result!.content))).toEqual({ sent: 40 })
  })

  it('refuses arguments the schema rejects, naming the path, and never runs the body', async () => {
    const { runs, handlers } = typedTransfer(strictTransfer)
    // The policy permits it (amount <= 1000); only the tool's schema knows amount must be positive.
    const [result] = await handleChatToolCalls(
      createPaymentsGate(),
      await chatMessage('{"to":"alice","amount":-5}'),
      handlers,
      { actionName: dotted },
    )
    expect(runs).toEqual([])
    const refusal = refusalIn(String(result!.content))!
    expect(refusal['reason']).toBe('ARGS_MISMATCH')
    expect(refusal['problems']).toEqual([
      expect.objectContaining({ code: 'SCHEMA_MISMATCH', path: 'args.amount' }),
    ])
  })

  it('refuses a schema that would change the arguments (a default), and never runs the body', async () => {
    const { runs, handlers } = typedTransfer(
      z.object({ to: z.string(), amount: z.number(), memo: z.string().default('none') }),
    )
    const [result] = await handleChatToolCalls(
      createPaymentsGate(),
      await chatMessage('{"to":"alice","amount":40}'),
      handlers,
      { actionName: dotted },
    )
    expect(runs).toEqual([])
    expect(refusalIn(String(result!.content))?.['reason']).toBe('ARGS_MISMATCH')
  })

  it('refuses a schema object that is not a Standard Schema when it is defined', () => {
    expect(() => defineTool({ inputSchema: {} as never, execute: () => undefined })).toThrow(
      TypeError,
    )
  })
})

describe('defineTool with handleResponseFunctionCalls', () => {
  it('validates the same way: a rejected argument is refused, the body does not run', async () => {
    const { runs, handlers } = typedTransfer(strictTransfer)
    const outputs = await handleResponseFunctionCalls(
      createPaymentsGate(),
      {
        output: [
          {
            type: 'function_call',
            call_id: 'c1',
            name: 'payments_transfer',
            arguments: '{"to":"","amount":5}',
          },
          {
            type: 'function_call',
            call_id: 'c2',
            name: 'payments_transfer',
            arguments: '{"to":"bob","amount":5}',
          },
        ],
      } as unknown as OpenAI.Responses.Response,
      handlers,
      { actionName: dotted },
    )
    expect(runs).toEqual([{ to: 'bob', amount: 5 }])
    expect(refusalIn(String(outputs[0]!.output))?.['problems']).toEqual([
      expect.objectContaining({ path: 'args.to' }),
    ])
  })
})
