/** Shared pieces of the `@writ/openai` tests: a client, refusal reading, a schema. */
import OpenAI from 'openai'
import { perTest } from '../../../test/support/per-test.js'
import { type FakeOpenAIServer, startFakeOpenAIServer } from './fake-openai-server.js'

/** OpenAI tool names may not contain dots: `payments_transfer` is the action `payments.transfer`. */
export const dotted = (toolName: string): string => toolName.replaceAll('_', '.')

/** A real `openai` client aimed at the fake server, with retries off. */
export function clientFor(server: FakeOpenAIServer): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 })
}

/** The refusal JSON in a tool output, or `undefined` when the output is not a refusal. */
export function refusalIn(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<string, unknown>)['writ'] === 'refused'
    ) {
      return value as Record<string, unknown>
    }
  } catch {
    // not JSON: a tool result
  }
  return undefined
}

export const transferSchema = {
  type: 'object' as const,
  properties: { to: { type: 'string' }, amount: { type: 'number' }, memo: { type: 'string' } },
  required: ['to', 'amount'],
  additionalProperties: false,
}

/** The fake server of the current test and a client aimed at it. */
export interface FakeOpenAI {
  readonly server: FakeOpenAIServer
  readonly client: OpenAI
}

/**
 * Starts a fake OpenAI server and a client for it before each test of the file, and
 * closes the server after it. The object returned reads the current test's pair.
 */
export function useFakeOpenAI(): FakeOpenAI {
  const active = perTest(
    async (): Promise<FakeOpenAI> => {
      const server = await startFakeOpenAIServer()
      return { server, client: clientFor(server) }
    },
    (fake) => fake.server.close(),
  )
  return {
    get server() {
      return active().server
    },
    get client() {
      return active().client
    },
  }
}

/** A `payments_transfer` tool for the SDK's `runTools` (JSON-parsed arguments) that runs `run`. */
export function runnableTransfer<F>(run: F, name = 'payments_transfer') {
  return {
    type: 'function' as const,
    function: {
      name,
      description: 'Move money',
      parameters: transferSchema,
      parse: JSON.parse,
      function: run,
    },
  }
}
