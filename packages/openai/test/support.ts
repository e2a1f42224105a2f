/** Shared pieces of the `@writ/openai` tests: a client, refusal reading, a schema. */
import OpenAI from 'openai'
import type { FakeOpenAIServer } from './fake-openai-server.js'

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
