import type OpenAI from 'openai'
import type { AdapterHarness, HarnessCall } from '../../../test/conformance/adapter-suite.js'
import { describeAdapterConformance } from '../../../test/conformance/adapter-suite.js'
import {
  gateRunnableTools,
  handleChatToolCalls,
  handleResponseFunctionCalls,
} from '../src/index.js'
import { startFakeOpenAIServer } from './fake-openai-server.js'
import { clientFor, refusalIn, transferSchema } from './support.js'

const toolNameOf = (action: string) => action.replaceAll('.', '_')

async function runToolsHarness(): Promise<AdapterHarness> {
  const server = await startFakeOpenAIServer()
  const client = clientFor(server)
  return {
    async run(call: HarnessCall) {
      const name = toolNameOf(call.action)
      server.script(
        { toolCalls: [{ name, arguments: call.argsText, id: 'call_1' }] },
        { text: 'finished' },
      )
      const tools = gateRunnableTools(
        call.gate,
        [
          {
            type: 'function',
            function: {
              name,
              description: 'Move money',
              parameters: transferSchema,
              parse: JSON.parse,
              function: call.execute,
            },
          },
        ],
        { actionName: () => call.action },
      )
      const runner = client.chat.completions.runTools({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'pay' }],
        tools,
      })
      await runner.finalContent()
      const answer = runner.messages.find((message) => message.role === 'tool')
      const text = typeof answer?.content === 'string' ? answer.content : ''
      return { refused: refusalIn(text) !== undefined, text }
    },
    close: () => server.close(),
  }
}

async function chatHelperHarness(): Promise<AdapterHarness> {
  const server = await startFakeOpenAIServer()
  const client = clientFor(server)
  return {
    async run(call: HarnessCall) {
      const name = toolNameOf(call.action)
      server.script({ toolCalls: [{ name, arguments: call.argsText }] }, { text: 'finished' })
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'pay' }]
      const tools: OpenAI.Chat.ChatCompletionTool[] = [
        { type: 'function', function: { name, parameters: transferSchema } },
      ]
      const completion = await client.chat.completions.create({
        model: 'gpt-test',
        messages,
        tools,
      })
      const message = completion.choices[0]!.message
      const results = await handleChatToolCalls(
        call.gate,
        message,
        { [name]: (args) => call.execute(args) },
        {
          actionName: () => call.action,
        },
      )
      // The fake server answers 400 unless every tool call has its output.
      await client.chat.completions.create({
        model: 'gpt-test',
        messages: [...messages, message, ...results],
        tools,
      })
      const text = typeof results[0]?.content === 'string' ? results[0].content : ''
      return { refused: refusalIn(text) !== undefined, text }
    },
    close: () => server.close(),
  }
}

async function responsesHelperHarness(): Promise<AdapterHarness> {
  const server = await startFakeOpenAIServer()
  const client = clientFor(server)
  return {
    async run(call: HarnessCall) {
      const name = toolNameOf(call.action)
      server.script({ toolCalls: [{ name, arguments: call.argsText }] }, { text: 'finished' })
      const tools: OpenAI.Responses.Tool[] = [
        { type: 'function', name, parameters: transferSchema, strict: false },
      ]
      const response = await client.responses.create({ model: 'gpt-test', input: 'pay', tools })
      const outputs = await handleResponseFunctionCalls(
        call.gate,
        response,
        { [name]: (args) => call.execute(args) },
        {
          actionName: () => call.action,
        },
      )
      await client.responses.create({
        model: 'gpt-test',
        previous_response_id: response.id,
        input: outputs,
        tools,
      })
      const text = typeof outputs[0]?.output === 'string' ? outputs[0].output : ''
      return { refused: refusalIn(text) !== undefined, text }
    },
    close: () => server.close(),
  }
}

describeAdapterConformance('openai runTools', runToolsHarness)
describeAdapterConformance('openai handleChatToolCalls', chatHelperHarness)
describeAdapterConformance('openai handleResponseFunctionCalls', responsesHelperHarness)
