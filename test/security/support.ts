/**
 * Shared parts of the security suite: a real policy, real keys, real gates.
 */
import { compilePolicy, createGate, generateSigningKey, type LocalGate } from '@writ/core'
import { type FakeOpenAIServer, startFakeOpenAIServer } from '@writ/openai/testing'
import { WritError } from '@writ/verify'
import OpenAI from 'openai'
import { perTest } from '../support/per-test.js'

/** Transfers up to 1000 are permitted; exports are denied. */
export const POLICY_TEXT = `
writ: 1
id: security-suite
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: no-exports
    effect: deny
    actions: [exports.*]
`

/** A gate over {@link POLICY_TEXT} with an in-memory store and a fresh key. */
export function makeGate(overrides: Partial<Parameters<typeof createGate>[0]> = {}): LocalGate {
  return createGate({
    policy: compilePolicy(POLICY_TEXT),
    keys: generateSigningKey(),
    issuer: 'https://authority.security.test',
    ...overrides,
  })
}

/** The `code` of what `promise` rejects with (a `WritError`), or fails the test. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected a rejection')
}

/** The `code` of what `run` throws (a `WritError`), or fails the test. */
export function thrownCode(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected a throw')
}

/** The scripted OpenAI server of the current test, and a real `openai` client for it. */
export interface FakeOpenAI {
  readonly server: FakeOpenAIServer
  client(): OpenAI
  /** Asks the model for its next chat message, offering it the one tool `payments_transfer`. */
  chatMessage(): Promise<OpenAI.Chat.ChatCompletionMessage>
}

/**
 * Starts a scripted OpenAI server on 127.0.0.1 before each test of the file and closes
 * it after. The object returned reads the current test's server.
 */
export function useFakeOpenAI(): FakeOpenAI {
  const server = perTest(startFakeOpenAIServer, (started) => started.close())
  const client = () => new OpenAI({ apiKey: 'sk-test', baseURL: server().baseURL, maxRetries: 0 })
  return {
    get server() {
      return server()
    },
    client,
    async chatMessage() {
      const completion = await client().chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'pay' }],
        tools: [
          {
            type: 'function',
            function: { name: 'payments_transfer', parameters: { type: 'object' } },
          },
        ],
      })
      return completion.choices[0]!.message
    },
  }
}

/** OpenAI tool names may not contain dots: `payments_transfer` is the action `payments.transfer`. */
export const dotted = (name: string): string => name.replaceAll('_', '.')

/** The refusal JSON in a tool output, or `undefined` when the output is not a refusal. */
export function refusalIn(content: unknown): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(String(content)) as Record<string, unknown>
    return value['writ'] === 'refused' ? value : undefined
  } catch {
    return undefined
  }
}

/** Tool handlers for `payments_transfer` alone, recording the arguments of each run in `ran`. */
export function transferHandlers(ran: unknown[]) {
  return { payments_transfer: (args: unknown) => ran.push(args) }
}
