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

export const fetchFunction: FetchFunction = createGatedFetch(gate)
export const adapters = [gateTool, handleChatToolCalls] as const
export type Options = [
  ReceiptGuardOptions,
  AuthorityServerOptions,
  PostgresStoreOptions,
  CliErrorCode,
]
