// Type-checked in the packed-install project with strict NodeNext settings: the
// published declaration files resolve and describe the API a user programs against.
import type { CliErrorCode } from '@writ/cli'
import { compilePolicy, createGate, type Decision, type Gate, generateSigningKey } from '@writ/core'
import { createGatedFetch, type FetchFunction } from '@writ/fetch'
import type { ReceiptGuardOptions } from '@writ/fetch/receiver'
import { gateTool } from '@writ/langchain'
import { handleChatToolCalls } from '@writ/openai'
import type { AuthorityServerOptions } from '@writ/server'
import type { PostgresStoreOptions } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { createKeySet, type KeySet, type ReceiptClaims, verifyReceipt } from '@writ/verify'

const gate: Gate = createGate({
  policy: compilePolicy('writ: 1\nid: p\nrules: []\n'),
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
  store: createSqliteStore({ path: ':memory:' }),
})

export async function decide(): Promise<ReceiptClaims> {
  const decision: Decision = await gate.authorize({
    action: 'payments.transfer',
    args: { amount: 1 },
  })
  const keys: KeySet = createKeySet(await gate.keys())
  const verified = await verifyReceipt(decision.receipt, keys)
  return verified.claims
}

/** An HTTP action: the gate is asked about the request itself, never about args beside it. */
export async function decideRequest(): Promise<Decision> {
  return gate.authorize({
    action: 'http.post',
    audience: 'https://pay.example.com',
    httpRequest: {
      method: 'POST',
      uri: 'https://pay.example.com/v1/transfers',
      contentType: 'application/json',
      body: new TextEncoder().encode('{"to":"alice","amount":1}'),
    },
  })
}

export const guardOptions: ReceiptGuardOptions = {
  keys: { keys: [] },
  audience: 'https://pay.example.com',
  replay: 'memory',
}

export const fetchFunction: FetchFunction = createGatedFetch(gate)
export const adapters = [gateTool, handleChatToolCalls] as const
export type Options = [
  ReceiptGuardOptions,
  AuthorityServerOptions,
  PostgresStoreOptions,
  CliErrorCode,
]
