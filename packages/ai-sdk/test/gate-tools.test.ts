import { createPaymentsGate } from '@writ/core/testing'
import {
  generateText,
  type ModelMessage,
  stepCountIs,
  streamText,
  tool,
  wrapLanguageModel,
} from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { holdingGate } from '../../../test/support/holding-gate.js'
import { gateTools, type HeldToolCall, writMiddleware } from '../src/index.js'
import {
  outputsById,
  type ProposedCall,
  recordingTransfer,
  scriptedModel,
  type Turn,
} from './support.js'

const call = (id: string, argsText: string, name = 'payments.transfer'): ProposedCall => ({
  id,
  name,
  argsText,
})

type Mode = 'generate' | 'stream'

/** The JSON output the model reads for a call the SDK ran when resuming after an approval. */
function resumedOutput(messages: readonly ModelMessage[], toolCallId: string): unknown {
  for (const message of messages) {
    if (message.role !== 'tool') continue
    for (const part of message.content) {
      if (part.type === 'tool-result' && part.toolCallId === toolCallId)
        return (part.output as { value?: unknown }).value
    }
  }
  return undefined
}

/** Runs a scripted conversation through `generateText` or `streamText` with gated tools. */
async function run(
  mode: Mode,
  turns: readonly Turn[],
  tools: Parameters<typeof writMiddleware>[0],
  messages?: ModelMessage[],
) {
  const model = wrapLanguageModel({
    model: scriptedModel(turns),
    middleware: writMiddleware(tools),
  })
  const settings = {
    model,
    tools,
    stopWhen: stepCountIs(6),
    ...(messages === undefined ? { prompt: 'pay' } : { messages }),
  }
  if (mode === 'generate') {
    const result = await generateText(settings)
    return { steps: result.steps, content: result.content, messages: result.response.messages }
  }
  const result = streamText(settings)
  const steps = await result.steps
  return { steps, content: await result.content, messages: (await result.response).messages }
}

describe.each(['generate', 'stream'] as const)('gateTools through %sText', (mode) => {
  it('runs permitted calls with the signed arguments and hands the model each refusal, over several steps', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(gate, { 'payments.transfer': transfer })
    const result = await run(
      mode,
      [
        [call('c1', '{"to":"alice","amount":250}')],
        [call('c2', '{"to":"mallory","amount":5}')],
        [call('c3', '{"to":"bob","amount":40.0}'), call('c4', '{"to":"carol","amount":4000}')],
        'done',
      ],
      tools,
    )
    expect(calls).toEqual([
      { to: 'alice', amount: 250 },
      { to: 'bob', amount: 40 },
    ])
    const outputs = outputsById(result.steps)
    expect(outputs.get('c1')).toEqual({ sent: 250, to: 'alice' })
    expect(outputs.get('c2')).toMatchObject({ decision: 'DENY', reason: 'SANCTIONED_PAYEE' })
    expect(outputs.get('c4')).toMatchObject({ decision: 'SILENCE', reason: 'CONDITION_FALSE' })
    expect(result.steps).toHaveLength(4)
  })

  it('decides each call once: the decision made before execution is the one that runs', async () => {
    const inner = createPaymentsGate()
    let decisions = 0
    const gate = {
      ...inner,
      authorize: (request: Parameters<typeof inner.authorize>[0]) => {
        decisions += 1
        return inner.authorize(request)
      },
    }
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(gate, { 'payments.transfer': transfer })
    await run(mode, [[call('c1', '{"to":"alice","amount":1}')], 'done'], tools)
    expect(calls).toHaveLength(1)
    expect(decisions).toBe(1)
  })

  it('rejects with the typed error when onRefusal is throw, and the tool never runs', async () => {
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(
      createPaymentsGate(),
      { 'payments.transfer': transfer },
      { onRefusal: 'throw' },
    )
    const result = await run(mode, [[call('c1', '{"to":"mallory","amount":5}')], 'done'], tools)
    expect(calls).toHaveLength(0)
    const error = (outputsById(result.steps).get('c1') as { error: unknown }).error
    expect(error).toMatchObject({ code: 'ACTION_REFUSED' })
  })

  it('runs none of the calls of a response that carries more than maxToolCalls', async () => {
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(
      createPaymentsGate(),
      { 'payments.transfer': transfer },
      { maxToolCalls: 2 },
    )
    const three = ['a', 'b', 'c'].map((id) => call(id, '{"to":"alice","amount":1}'))
    const result = await run(mode, [three, 'done'], tools)
    expect(calls).toHaveLength(0)
    for (const id of ['a', 'b', 'c'])
      expect(outputsById(result.steps).get(id)).toMatchObject({ reason: 'TOO_MANY_TOOL_CALLS' })
  })

  it.each([
    ['malformed JSON', '{"to":"alice","amount":'],
    ['a __proto__ key', '{"to":"alice","amount":1,"__proto__":{"admin":true}}'],
    [
      'a constructor key the schema strips',
      '{"to":"alice","amount":1,"constructor":{"prototype":{}}}',
    ],
    ['duplicate keys', '{"to":"alice","amount":1,"amount":100000}'],
    ['a lone surrogate', '{"to":"\\ud800","amount":1}'],
    ['an unsafe integer', '{"to":"alice","amount":9007199254740993}'],
    ['a key the schema strips', '{"to":"alice","amount":1,"note":"x"}'],
  ])('never runs a call with %s', async (_, argsText) => {
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(createPaymentsGate(), { 'payments.transfer': transfer })
    const result = await run(mode, [[call('c1', argsText)], 'done'], tools)
    expect(calls).toHaveLength(0)
    expect(outputsById(result.steps).has('c1')).toBe(true)
  })

  it.each([
    'payments_transfer',
    'pаyments.transfer', // Cyrillic a
    'payments.transfer ',
    'Payments.Transfer',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
  ])('never runs anything for the lookalike tool name %j', async (name) => {
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(createPaymentsGate(), { 'payments.transfer': transfer })
    const result = await run(mode, [[call('c1', '{"to":"alice","amount":1}', name)], 'done'], tools)
    expect(calls).toHaveLength(0)
    expect(outputsById(result.steps).get('c1')).toHaveProperty('error')
  })

  it('refuses a schema that changes the permitted arguments (ARGS_MISMATCH)', async () => {
    const runs: unknown[] = []
    const transfer = tool({
      inputSchema: z.object({
        to: z.string(),
        amount: z.number(),
        currency: z.string().default('EUR'),
      }),
      execute: async (input) => {
        runs.push(input)
        return 'sent'
      },
    })
    const tools = gateTools(createPaymentsGate(), { 'payments.transfer': transfer })
    const result = await run(mode, [[call('c1', '{"to":"alice","amount":1}')], 'done'], tools)
    expect(runs).toHaveLength(0)
    expect(outputsById(result.steps).get('c1')).toMatchObject({ reason: 'ARGS_MISMATCH' })
  })

  it('maps tool names to action names, and refuses what the policy does not name', async () => {
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(
      createPaymentsGate(),
      { transfer, export: transfer },
      { actionName: { transfer: 'payments.transfer' } },
    )
    const result = await run(
      mode,
      [
        [
          call('c1', '{"to":"alice","amount":1}', 'transfer'),
          call('c2', '{"to":"alice","amount":1}', 'export'),
        ],
        'done',
      ],
      tools,
    )
    expect(calls).toEqual([{ to: 'alice', amount: 1 }])
    expect(outputsById(result.steps).get('c2')).toMatchObject({ decision: 'SILENCE' })
  })
})

describe.each(['generate', 'stream'] as const)('held calls through %sText', (mode) => {
  async function holdThenAnswer(approvedInWrit: boolean, approvedInApp: boolean) {
    const gate = holdingGate()
    const held: HeldToolCall[] = []
    const { calls, transfer } = recordingTransfer()
    const tools = gateTools(
      gate,
      { 'payments.transfer': transfer },
      { onHold: (h) => held.push(h) },
    )
    const turns: Turn[] = [[call('c1', '{"to":"alice","amount":5000}')], 'waiting', 'done']
    const first = await run(mode, turns, tools)
    const request = first.content.find((part) => part.type === 'tool-approval-request')
    expect(request).toBeDefined()
    expect(calls).toHaveLength(0)
    expect(held).toEqual([
      expect.objectContaining({ toolCallId: 'c1', holdId: gate.decisions[0]!.claims.jti }),
    ])
    if (approvedInWrit) await gate.approve()
    const messages: ModelMessage[] = [
      { role: 'user', content: 'pay' },
      ...first.messages,
      {
        role: 'tool',
        content: [
          {
            type: 'tool-approval-response',
            approvalId: request!.approvalId,
            approved: approvedInApp,
          },
        ],
      },
    ]
    const second = await run(mode, turns.slice(1), tools, messages)
    return { gate, calls, second }
  }

  it('asks for approval through the SDK, then runs once the gate has the approval', async () => {
    const { gate, calls, second } = await holdThenAnswer(true, true)
    expect(calls).toEqual([{ to: 'alice', amount: 5000 }])
    expect(gate.decisions.map((d) => d.decision)).toEqual(['SILENCE', 'PERMIT'])
    // The PERMIT names the hold its approval was for (spec section 11).
    const [hold, permit] = gate.decisions
    expect((permit!.claims as { hold?: unknown }).hold).toBe(hold!.claims.jti)
    expect(resumedOutput(second.messages, 'c1')).toEqual({ sent: 5000, to: 'alice' })
  })

  it('does not run when the app approves but the gate has no approval yet', async () => {
    const { gate, calls, second } = await holdThenAnswer(false, true)
    expect(calls).toHaveLength(0)
    expect(gate.decisions.map((d) => d.reason)).toEqual(['APPROVAL_REQUIRED', 'APPROVAL_REQUIRED'])
    expect(resumedOutput(second.messages, 'c1')).toMatchObject({
      decision: 'SILENCE',
      reason: 'APPROVAL_REQUIRED',
    })
  })

  it('does not run when the app denies, whatever the gate would say', async () => {
    const { calls } = await holdThenAnswer(true, false)
    expect(calls).toHaveLength(0)
  })
})

describe('gateTools and writMiddleware setup', () => {
  it('refuses to gate a tool without execute, and a middleware for a tool set it did not gate', () => {
    const clientSide = tool({ inputSchema: z.object({ q: z.string() }) }) as never
    expect(() => gateTools(createPaymentsGate(), { clientSide })).toThrow(TypeError)
    expect(() => writMiddleware({})).toThrow(TypeError)
  })
})
