import { createPaymentsGate } from '@writ/core/testing'
import { describe, expect, it } from 'vitest'
import { gateRunnableTools } from '../src/index.js'
import { dotted, runnableTransfer, useFakeOpenAI } from './support.js'

const fake = useFakeOpenAI()

// The SDK's runner looks tools up in a plain object, so a model that names a member of
// Object.prototype makes the run fail inside the SDK. Writ's part: nothing ever runs.
describe('runTools and tool names from Object.prototype', () => {
  it.each(['constructor', 'toString', '__proto__'])('never runs a tool for %s', async (name) => {
    const runs: unknown[] = []
    const tools = gateRunnableTools(
      createPaymentsGate(),
      [runnableTransfer((args: unknown) => runs.push(args))],
      { actionName: dotted },
    )
    fake.server.script({ toolCalls: [{ name, arguments: '{"to":"alice","amount":1}' }] })
    const runner = fake.client.chat.completions.runTools({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'pay' }],
      tools,
    })
    const error = await runner.finalContent().then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(Error)
    expect(runs).toHaveLength(0)
  })
})
