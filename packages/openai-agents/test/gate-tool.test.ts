import { Agent, Runner, RunState, ToolCallError, tool } from '@openai/agents'
import { createPaymentsGate } from '@writ/core/testing'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { holdingGate } from '../../../test/support/holding-gate.js'
import { type GateToolOptions, gateTool, gateTools, type HeldToolCall } from '../src/index.js'
import {
  outputsById,
  type ProposedCall,
  recordingTransfer,
  ScriptedModel,
  ScriptedModelProvider,
  type Turn,
} from './support.js'

const actionName = { payments_transfer: 'payments.transfer' }

const call = (id: string, argsText: string, name = 'payments_transfer'): ProposedCall => ({
  id,
  name,
  argsText,
})

type Gate = Parameters<typeof gateTool>[0]

function setup(gate: Gate, turns: readonly Turn[], options: GateToolOptions = {}) {
  const { calls, transfer } = recordingTransfer()
  const agent = new Agent({
    name: 'teller',
    tools: [gateTool(gate, transfer, { actionName, ...options })],
  })
  const model = new ScriptedModel(turns)
  const runner = new Runner({
    modelProvider: new ScriptedModelProvider(model),
    tracingDisabled: true,
  })
  return { calls, agent, runner, model }
}

async function runOnce(
  runner: Runner,
  agent: Agent,
  input: Parameters<Runner['run']>[1],
  stream: boolean,
) {
  if (!stream) return runner.run(agent, input)
  const result = await runner.run(agent, input, { stream: true })
  await result.completed
  return result
}

describe.each([false, true])('gateTool in a run (stream: %s)', (stream) => {
  it('runs permitted calls with the signed arguments and hands the model each refusal, over several turns', async () => {
    const { calls, agent, runner, model } = setup(createPaymentsGate(), [
      [call('c1', '{"to":"alice","amount":250}')],
      [call('c2', '{"to":"mallory","amount":5}')],
      [call('c3', '{"to":"bob","amount":40.0}'), call('c4', '{"to":"carol","amount":4000}')],
      'done',
    ])
    const result = await runOnce(runner, agent, 'pay', stream)
    expect(calls).toEqual([
      { to: 'alice', amount: 250 },
      { to: 'bob', amount: 40 },
    ])
    const outputs = outputsById(result.newItems)
    expect(outputs.get('c1')).toBe('sent 250 to alice')
    expect(JSON.parse(outputs.get('c2')!)).toMatchObject({
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
    })
    expect(JSON.parse(outputs.get('c4')!)).toMatchObject({ decision: 'SILENCE' })
    expect(model.requests).toHaveLength(4)
    expect(result.finalOutput).toBe('done')
  })

  it('decides each call once: the decision made before the run is the one that runs', async () => {
    const inner = createPaymentsGate()
    let decisions = 0
    const gate = {
      ...inner,
      authorize: (request: Parameters<Gate['authorize']>[0]) => {
        decisions += 1
        return inner.authorize(request)
      },
    }
    const { calls, agent, runner } = setup(gate, [
      [call('c1', '{"to":"alice","amount":1}')],
      'done',
    ])
    await runOnce(runner, agent, 'pay', stream)
    expect(calls).toHaveLength(1)
    expect(decisions).toBe(1)
  })

  it.each([
    ['duplicate keys', '{"to":"alice","amount":1,"amount":100000}'],
    ['a __proto__ key', '{"to":"alice","amount":1,"__proto__":{"admin":true}}'],
    ['a constructor key', '{"to":"alice","amount":1,"constructor":{"prototype":{}}}'],
    ['a member the schema does not name', '{"to":"alice","amount":1,"memo":null,"note":"x"}'],
    ['a lone surrogate', '{"to":"\\ud800","amount":1}'],
    ['an unsafe integer', '{"to":"alice","amount":9007199254740993}'],
  ])('never runs a call with %s, and the model reads the refusal', async (_, argsText) => {
    const { calls, agent, runner } = setup(createPaymentsGate(), [[call('c1', argsText)], 'done'])
    const result = await runOnce(runner, agent, 'pay', stream)
    expect(calls).toHaveLength(0)
    expect(JSON.parse(outputsById(result.newItems).get('c1')!)).toMatchObject({ writ: 'refused' })
  })

  it.each([
    ['malformed JSON', '{"to":"alice","amount":'],
    ['an array instead of an object', '[{"to":"alice","amount":1}]'],
  ])('never runs a call with %s', async (_, argsText) => {
    const { calls, agent, runner } = setup(createPaymentsGate(), [[call('c1', argsText)], 'done'])
    const result = await runOnce(runner, agent, 'pay', stream)
    if (result.interruptions.length > 0) {
      // The SDK asks people about a call it cannot parse; approving it still runs nothing.
      result.state.approve(result.interruptions[0]!)
      await runOnce(runner, agent, result.state, stream)
    }
    expect(calls).toHaveLength(0)
  })

  it.each([
    'payments.transfer',
    'payments_transfer ',
    'pаyments_transfer',
    'constructor',
    '__proto__',
    'toString',
  ])('never runs anything for the lookalike tool name %j', async (name) => {
    const { calls, agent, runner } = setup(createPaymentsGate(), [
      [call('c1', '{"to":"alice","amount":1}', name)],
      'done',
    ])
    await runOnce(runner, agent, 'pay', stream).catch(() => undefined)
    expect(calls).toHaveLength(0)
  })

  it('refuses a nested member the strict schema would drop (ARGS_MISMATCH)', async () => {
    const runs: unknown[] = []
    const transfer = tool({
      name: 'payments_transfer',
      description: 'Transfer money.',
      parameters: z.object({
        to: z.string(),
        amount: z.number(),
        meta: z.object({ ref: z.string() }),
      }),
      execute: async (input) => runs.push(input),
    })
    const agent = new Agent({
      name: 'teller',
      tools: [gateTool(createPaymentsGate(), transfer, { actionName })],
    })
    const argsText = '{"to":"alice","amount":1,"meta":{"ref":"r1","approvedBy":"cfo"}}'
    const model = new ScriptedModel([[call('c1', argsText)], 'done'])
    const runner = new Runner({
      modelProvider: new ScriptedModelProvider(model),
      tracingDisabled: true,
    })
    const result = await runOnce(runner, agent, 'pay', stream)
    expect(runs).toHaveLength(0)
    expect(JSON.parse(outputsById(result.newItems).get('c1')!)).toMatchObject({
      reason: 'ARGS_MISMATCH',
    })
  })

  it('with onRefusal throw, stops the run with the typed error and runs nothing', async () => {
    const runs: unknown[] = []
    const transfer = tool({
      name: 'payments_transfer',
      description: 'Transfer money.',
      parameters: z.object({ to: z.string(), amount: z.number() }),
      execute: async (input) => runs.push(input),
    })
    const tools = gateTools(createPaymentsGate(), [transfer], { actionName, onRefusal: 'throw' })
    const agent = new Agent({ name: 'teller', tools })
    const model = new ScriptedModel([[call('c1', '{"to":"mallory","amount":5}')], 'done'])
    const runner = new Runner({
      modelProvider: new ScriptedModelProvider(model),
      tracingDisabled: true,
    })
    const failure = await runOnce(runner, agent, 'pay', stream).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(runs).toHaveLength(0)
    expect(failure).toBeInstanceOf(ToolCallError)
    expect((failure as ToolCallError).error).toMatchObject({ code: 'ACTION_REFUSED' })
  })
})

describe.each([false, true])('held calls (stream: %s)', (stream) => {
  async function holdThenAnswer(approvedInWrit: boolean, approvedInApp: boolean) {
    const gate = holdingGate()
    const held: HeldToolCall[] = []
    const turns: Turn[] = [[call('c1', '{"to":"alice","amount":5000}')], 'done']
    const { calls, agent, runner } = setup(gate, turns, { onHold: (h) => held.push(h) })
    const first = await runOnce(runner, agent, 'pay', stream)
    expect(first.interruptions).toHaveLength(1)
    expect(calls).toHaveLength(0)
    expect(held).toEqual([
      expect.objectContaining({ callId: 'c1', holdId: gate.decisions[0]!.claims.jti }),
    ])
    // The run waits, serialized, until people decide; it resumes from the text.
    const saved = first.state.toString()
    if (approvedInWrit) await gate.approve()
    const state = await RunState.fromString(agent, saved)
    const [interruption] = state.getInterruptions()
    if (approvedInApp) state.approve(interruption!)
    else state.reject(interruption!)
    const second = await runOnce(runner, agent, state, stream)
    return { gate, calls, second }
  }

  it('interrupts the run for approval, then runs once the gate has the approval', async () => {
    const { gate, calls, second } = await holdThenAnswer(true, true)
    expect(calls).toEqual([{ to: 'alice', amount: 5000 }])
    expect(gate.decisions.map((d) => d.decision)).toEqual(['SILENCE', 'PERMIT'])
    // The PERMIT names the hold its approval was for (spec section 11).
    const [hold, permit] = gate.decisions
    expect((permit!.claims as { hold?: unknown }).hold).toBe(hold!.claims.jti)
    expect(second.finalOutput).toBe('done')
  })

  it('does not run when the app approves but the gate has no approval yet', async () => {
    const { gate, calls, second } = await holdThenAnswer(false, true)
    expect(calls).toHaveLength(0)
    expect(gate.decisions.map((d) => d.reason)).toEqual(['APPROVAL_REQUIRED', 'APPROVAL_REQUIRED'])
    expect(JSON.parse(outputsById(second.newItems).get('c1')!)).toMatchObject({
      reason: 'APPROVAL_REQUIRED',
    })
  })

  it('does not run when the app rejects, whatever the gate would say', async () => {
    const { calls } = await holdThenAnswer(true, false)
    expect(calls).toHaveLength(0)
  })
})

describe('gateTool setup', () => {
  it('refuses to gate what is not a function tool', () => {
    expect(() => gateTool(createPaymentsGate(), { type: 'hosted_tool' } as never)).toThrow(
      TypeError,
    )
  })
})
