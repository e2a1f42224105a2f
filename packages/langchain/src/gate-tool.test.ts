import { ToolMessage } from '@langchain/core/messages'
import { DynamicTool, tool } from '@langchain/core/tools'
import { createPaymentsGate } from '@writ/core/testing'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { recordingTransfer } from '../test/support.js'
import { gateTool, gateTools } from './gate-tool.js'

describe('gateTool', () => {
  it('keeps the name, description and schema of the tool it gates', () => {
    const { transfer, schema } = recordingTransfer()
    const gated = gateTool(createPaymentsGate(), transfer)
    expect(gated.name).toBe('payments.transfer')
    expect(gated.description).toBe('Transfer money to a payee.')
    expect(gated.schema).toBe(schema)
    expect(gated.original).toBe(transfer)
  })

  it('with a ToolCall: runs on PERMIT and answers a refusal with an error ToolMessage', async () => {
    const { calls, transfer } = recordingTransfer()
    const gated = gateTool(createPaymentsGate(), transfer)
    const permitted = await gated.invoke({
      type: 'tool_call',
      id: 'call_1',
      name: 'payments.transfer',
      args: { to: 'alice', amount: 20 },
    })
    expect(permitted).toBeInstanceOf(ToolMessage)
    expect((permitted as ToolMessage).content).toBe('sent 20 to alice')
    expect((permitted as ToolMessage).tool_call_id).toBe('call_1')

    const refused = (await gated.invoke({
      type: 'tool_call',
      id: 'call_2',
      name: 'payments.transfer',
      args: { to: 'mallory', amount: 20 },
    })) as ToolMessage
    expect(refused).toBeInstanceOf(ToolMessage)
    expect(refused.status).toBe('error')
    expect(refused.tool_call_id).toBe('call_2')
    const payload = JSON.parse(refused.content as string)
    expect(payload).toMatchObject({ writ: 'refused', decision: 'DENY', reason: 'SANCTIONED_PAYEE' })
    expect(typeof payload.receipt).toBe('string')
    expect(calls).toEqual([{ to: 'alice', amount: 20 }])
  })

  it('with plain args: returns the refusal JSON, or rejects when asked to', async () => {
    const { calls, transfer } = recordingTransfer()
    const gate = createPaymentsGate()
    expect(await gateTool(gate, transfer).invoke({ to: 'alice', amount: 7 })).toBe(
      'sent 7 to alice',
    )
    const text = await gateTool(gate, transfer).invoke({ to: 'alice', amount: 5000 })
    expect(JSON.parse(text as string)).toMatchObject({
      decision: 'SILENCE',
      reason: 'CONDITION_FALSE',
    })
    const rejection = await gateTool(gate, transfer, { onRefusal: 'throw' })
      .invoke({ to: 'mallory', amount: 1 })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(WritError.isInstance(rejection) && rejection.code).toBe('ACTION_REFUSED')
    expect(calls).toEqual([{ to: 'alice', amount: 7 }])
  })

  it('routes the deprecated call() through the gate too', async () => {
    const { calls, transfer } = recordingTransfer()
    const text = await gateTool(createPaymentsGate(), transfer).call({ to: 'mallory', amount: 1 })
    expect(JSON.parse(text as string)).toMatchObject({ decision: 'DENY' })
    expect(calls).toEqual([])
  })

  it('gates string-input tools as { input }', async () => {
    const seen: string[] = []
    const lookup = new DynamicTool({
      name: 'accounts.lookup',
      description: 'Look an account up.',
      func: async (input) => {
        seen.push(input)
        return `found ${input}`
      },
    })
    const gated = gateTool(createPaymentsGate(), lookup)
    expect(await gated.invoke('alice')).toBe('found alice')
    expect(seen).toEqual(['alice'])
  })

  it('maps names with actionName and gates lists with gateTools', async () => {
    const { calls, transfer: pay } = recordingTransfer('pay')
    const [gated] = gateTools(createPaymentsGate(), [pay], {
      actionName: (name) => (name === 'pay' ? 'payments.transfer' : undefined),
    })
    expect(gated?.name).toBe('pay')
    expect(await gated?.invoke({ to: 'bob', amount: 3 })).toBe('sent 3 to bob')
    const unmapped = await gateTool(createPaymentsGate(), pay).invoke({ to: 'bob', amount: 3 })
    expect(JSON.parse(unmapped as string)).toMatchObject({ decision: 'SILENCE' })
    expect(calls).toEqual([{ to: 'bob', amount: 3 }])
  })

  it('a table lookup ignores inherited names such as constructor', async () => {
    const calls: unknown[] = []
    const named = tool(
      async () => {
        calls.push(1)
        return 'ran'
      },
      { name: 'constructor', description: 'x', schema: z.object({}) },
    )
    const text = await gateTool(createPaymentsGate(), named, { actionName: {} }).invoke({})
    expect(JSON.parse(text as string)).toMatchObject({ decision: 'SILENCE' })
    expect(calls).toEqual([])
  })

  it("rethrows the tool's own failure on PERMIT instead of calling it a refusal", async () => {
    const offline = new Error('bank offline')
    const failing = tool(
      async () => {
        throw offline
      },
      {
        name: 'payments.transfer',
        description: 'x',
        schema: z.object({ to: z.string(), amount: z.number() }),
      },
    )
    await expect(
      gateTool(createPaymentsGate(), failing).invoke({ to: 'alice', amount: 1 }),
    ).rejects.toBe(offline)
  })
})
