import type { PermitDecision } from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'
import { canonicalArgs, createKeySet, verifyPermit, verifyReceipt } from '@writ/verify'
import { zodFunction } from 'openai/helpers/zod'
import { ParsingToolFunction } from 'openai/lib/RunnableFunction'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { gateRunnableTools } from '../src/index.js'
import type { ScriptedToolCall } from './fake-openai-server.js'
import { dotted, refusalIn, runnableTransfer, transferSchema, useFakeOpenAI } from './support.js'

const fake = useFakeOpenAI()

interface Execution {
  readonly args: unknown
  readonly frozen: boolean
  readonly decision: PermitDecision | undefined
}

function transferTool(executions: Execution[], options: { strict?: boolean } = {}) {
  const tool = runnableTransfer((args: object, _runner: unknown, decision?: PermitDecision) => {
    executions.push({ args: structuredClone(args), frozen: Object.isFrozen(args), decision })
    return { ok: true }
  })
  if (options.strict === undefined) return tool
  return { ...tool, function: { ...tool.function, strict: options.strict } }
}

async function runTurn(tools: ReturnType<typeof gateRunnableTools>, calls: ScriptedToolCall[]) {
  fake.server.script({ toolCalls: calls }, { text: 'all done' })
  const runner = fake.client.chat.completions.runTools({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'pay people' }],
    tools,
  })
  const content = await runner.finalContent()
  const toolMessages = runner.messages.filter((message) => message.role === 'tool')
  const outputs = new Map(
    toolMessages.map((message) => [message.tool_call_id, String(message.content)]),
  )
  return { content, outputs }
}

describe('gateRunnableTools with fake.client.chat.completions.runTools', () => {
  it('runs the permitted call once with the receipt-bound args and never the denied one', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)], { actionName: dotted })
    const { content, outputs } = await runTurn(tools, [
      { id: 'call_ok', name: 'payments_transfer', arguments: '{"to":"alice","amount":250.0}' },
      { id: 'call_no', name: 'payments_transfer', arguments: '{"to":"mallory","amount":10}' },
    ])
    expect(content).toBe('all done')
    expect(executions).toHaveLength(1)
    const [execution] = executions
    expect(execution!.args).toEqual({ to: 'alice', amount: 250 })
    expect(execution!.frozen).toBe(true)

    // The receipt binds exactly what ran, for this action.
    const keySet = createKeySet(await gate.keys())
    const permit = execution!.decision!
    await verifyPermit(permit.receipt, keySet, {
      action: 'payments.transfer',
      args: execution!.args as never,
    })
    expect(permit.claims.act.args).toBe(canonicalArgs({ to: 'alice', amount: 250 }).digest)

    // The model's next request carried both tool outputs (the server answers 400 otherwise).
    expect(fake.server.requests).toHaveLength(2)
    const nextMessages = fake.server.requests[1]!.body['messages'] as Array<Record<string, unknown>>
    const answered = nextMessages
      .filter((message) => message['role'] === 'tool')
      .map((message) => message['tool_call_id'])
    expect(answered).toEqual(['call_ok', 'call_no'])

    expect(refusalIn(outputs.get('call_ok')!)).toBeUndefined()
    const refusal = refusalIn(outputs.get('call_no')!)!
    expect(refusal['decision']).toBe('DENY')
    expect(refusal['reason']).toBe('SANCTIONED_PAYEE')
    const verified = await verifyReceipt(String(refusal['receipt']), keySet)
    expect(refusal['receipt_id']).toBe(verified.claims.jti)
    expect(verified.claims.decision).toBe('DENY')
  })

  it('gates zodFunction tools and runs them with the frozen, receipt-bound args', async () => {
    const gate = createPaymentsGate()
    const seen: unknown[] = []
    const tool = zodFunction({
      name: 'payments_transfer',
      parameters: z.object({ to: z.string(), amount: z.number() }),
      function: (args) => {
        seen.push(args)
        return `sent ${args.amount} to ${args.to}`
      },
    })
    const tools = gateRunnableTools(gate, [tool], { actionName: dotted })
    expect(tools[0]!.function.strict).toBe(true)
    const { outputs } = await runTurn(tools, [
      { id: 'call_ok', name: 'payments_transfer', arguments: '{"to":"alice","amount":99}' },
      { id: 'call_big', name: 'payments_transfer', arguments: '{"to":"alice","amount":5000}' },
    ])
    expect(seen).toEqual([{ to: 'alice', amount: 99 }])
    expect(Object.isFrozen(seen[0])).toBe(true)
    expect(outputs.get('call_ok')).toBe('sent 99 to alice')
    expect(refusalIn(outputs.get('call_big')!)?.['decision']).toBe('SILENCE')
  })

  it('gates ParsingToolFunction tools', async () => {
    const gate = createPaymentsGate()
    const seen: unknown[] = []
    const tool = new ParsingToolFunction({
      name: 'accounts_lookup',
      description: 'Find an account',
      parameters: { type: 'object', properties: { id: { type: 'string' } } },
      parse: (input: string) => JSON.parse(input) as { id: string },
      function: (args) => {
        seen.push(args)
        return `account ${args.id}`
      },
    })
    const { outputs } = await runTurn(gateRunnableTools(gate, [tool], { actionName: dotted }), [
      { id: 'call_1', name: 'accounts_lookup', arguments: '{"id":"a-1"}' },
    ])
    expect(seen).toEqual([{ id: 'a-1' }])
    expect(outputs.get('call_1')).toBe('account a-1')
  })

  it('refuses a permitted call whose zod schema would strip or reject the signed args', async () => {
    const gate = createPaymentsGate()
    let runs = 0
    // A zod object strips keys it does not know: what would run is not what was signed.
    const stripping = zodFunction({
      name: 'payments_transfer',
      parameters: z.object({ to: z.string(), amount: z.number() }),
      function: () => {
        runs += 1
      },
    })
    const rejecting = zodFunction({
      name: 'accounts_lookup',
      parameters: z.object({ id: z.string().max(3) }),
      function: () => {
        runs += 1
      },
    })
    const tools = gateRunnableTools(gate, [stripping, rejecting], { actionName: dotted })
    const { outputs } = await runTurn(tools, [
      {
        id: 'call_a',
        name: 'payments_transfer',
        arguments: '{"to":"alice","amount":1,"note":"extra"}',
      },
      { id: 'call_b', name: 'accounts_lookup', arguments: '{"id":"far too long"}' },
    ])
    expect(runs).toBe(0)
    expect(refusalIn(outputs.get('call_a')!)?.['reason']).toBe('ARGS_MISMATCH')
    expect(refusalIn(outputs.get('call_b')!)?.['reason']).toBe('ARGS_MISMATCH')
  })

  it('never lets a lookalike tool name reach a handler', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)], { actionName: dotted })
    const { outputs } = await runTurn(tools, [
      { id: 'call_space', name: 'payments_transfer ', arguments: '{"to":"alice","amount":1}' },
      {
        id: 'call_cyrillic',
        name: 'p\u0430yments_transfer',
        arguments: '{"to":"alice","amount":1}',
      },
      { id: 'call_case', name: 'Payments_transfer', arguments: '{"to":"alice","amount":1}' },
    ])
    expect(executions).toHaveLength(0)
    expect([...outputs.keys()]).toEqual(['call_space', 'call_cyrillic', 'call_case'])
  })

  it.each([
    ['malformed JSON', '{"to":"alice","amount":'],
    ['NaN', '{"to":"alice","amount":NaN}'],
    ['a duplicate key', '{"to":"alice","amount":1,"amount":1000000}'],
    ['__proto__', '{"to":"alice","amount":1,"__proto__":{"admin":true}}'],
    ['constructor', '{"to":"alice","amount":1,"constructor":{"prototype":{}}}'],
    ['an overflowing number', '{"to":"alice","amount":1e400}'],
    ['an unsafe integer', '{"to":"alice","amount":9007199254740993}'],
    ['a lone surrogate', '{"to":"\\ud800","amount":1}'],
    ['an array instead of an object', '[{"to":"alice","amount":1}]'],
  ])('refuses %s in the arguments without running the tool', async (_label, argsText) => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)], { actionName: dotted })
    const { outputs } = await runTurn(tools, [
      { id: 'call_bad', name: 'payments_transfer', arguments: argsText },
    ])
    expect(executions).toHaveLength(0)
    const refusal = refusalIn(outputs.get('call_bad')!)!
    expect(refusal['decision']).toBe('DENY')
    expect(refusal['reason']).toBe('INPUT_INVALID')
    expect(typeof refusal['receipt_id']).toBe('string')
  })

  it('passes raw text to a tool without a parser: the permitted args, serialized', async () => {
    const gate = createPaymentsGate()
    const received: unknown[] = []
    const tools = gateRunnableTools(
      gate,
      [
        {
          type: 'function',
          function: {
            name: 'accounts_lookup',
            description: 'Find an account',
            parameters: { type: 'object', properties: { id: { type: 'string' } } },
            function: (argsText: string) => {
              received.push(argsText)
              return 'found'
            },
          },
        },
      ],
      { actionName: dotted },
    )
    const { outputs } = await runTurn(tools, [
      { id: 'call_1', name: 'accounts_lookup', arguments: ' { "id" : "a-1" } ' },
    ])
    expect(received).toEqual(['{"id":"a-1"}'])
    expect(outputs.get('call_1')).toBe('found')
  })

  it('refuses, without throwing out of the run, when the action name mapping throws', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)], {
      actionName: () => {
        throw new Error('mapping failed')
      },
    })
    const { outputs } = await runTurn(tools, [
      { id: 'call_1', name: 'payments_transfer', arguments: '{"to":"alice","amount":1}' },
    ])
    expect(executions).toHaveLength(0)
    expect(refusalIn(outputs.get('call_1')!)?.['decision']).toBe('ERROR')
  })

  it('keeps the identity mapping by default, so a tool name that is no action is refused', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)])
    const { outputs } = await runTurn(tools, [
      { id: 'call_1', name: 'payments_transfer', arguments: '{"to":"alice","amount":1}' },
    ])
    expect(executions).toHaveLength(0)
    expect(refusalIn(outputs.get('call_1')!)?.['decision']).toBe('SILENCE')
  })

  it('lets a strict tool fail the run on malformed JSON, before any decision or execution', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions, { strict: true })], {
      actionName: dotted,
    })
    await expect(
      runTurn(tools, [{ id: 'call_1', name: 'payments_transfer', arguments: '{"to":' }]),
    ).rejects.toThrow()
    expect(executions).toHaveLength(0)
  })

  it('rethrows an error from the tool itself, after a PERMIT', async () => {
    const gate = createPaymentsGate()
    const failure = new Error('bank offline')
    const tools = gateRunnableTools(
      gate,
      [
        runnableTransfer(() => {
          throw failure
        }),
      ],
      { actionName: dotted },
    )
    // The runner reports it as an OpenAIError whose cause is the tool's own error.
    const error = await runTurn(tools, [
      { name: 'payments_transfer', arguments: '{"to":"alice","amount":1}' },
    ]).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).cause).toBe(failure)
  })

  it('keeps names, schemas and strictness, and refuses ambiguous or incomplete tools at setup', () => {
    const gate = createPaymentsGate()
    const [tool] = gateRunnableTools(gate, [transferTool([])])
    expect(tool!.function.name).toBe('payments_transfer')
    expect(tool!.function.parameters).toBe(transferSchema)
    expect(tool!.function.description).toBe('Move money')
    expect('parse' in tool!.function).toBe(false)
    expect(() => gateRunnableTools(gate, [transferTool([]), transferTool([])])).toThrow(TypeError)
    const withoutFunction = zodFunction({ name: 'noop', parameters: z.object({}) })
    expect(() => gateRunnableTools(gate, [withoutFunction])).toThrow(TypeError)
    function named(argsText: string) {
      return argsText
    }
    const [byFunctionName] = gateRunnableTools(gate, [
      { type: 'function', function: { description: '', parameters: {}, function: named } },
    ])
    expect(byFunctionName!.function.name).toBe('named')
  })
})

describe('gateRunnableTools with a streaming runTools', () => {
  it('gates the same way when the runner streams', async () => {
    const gate = createPaymentsGate()
    const executions: Execution[] = []
    const tools = gateRunnableTools(gate, [transferTool(executions)], { actionName: dotted })
    fake.server.script(
      {
        toolCalls: [
          { id: 'call_ok', name: 'payments_transfer', arguments: '{"to":"alice","amount":5}' },
          { id: 'call_no', name: 'payments_transfer', arguments: '{"to":"mallory","amount":5}' },
        ],
      },
      { text: 'streamed' },
    )
    const runner = fake.client.chat.completions.runTools({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: 'pay' }],
      tools,
    })
    expect(await runner.finalContent()).toBe('streamed')
    expect(executions.map((execution) => execution.args)).toEqual([{ to: 'alice', amount: 5 }])
    const denied = runner.messages.find(
      (message) => message.role === 'tool' && message.tool_call_id === 'call_no',
    )
    expect(refusalIn(String(denied?.content))?.['reason']).toBe('SANCTIONED_PAYEE')
  })
})
