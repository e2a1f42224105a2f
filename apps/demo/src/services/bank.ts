/**
 * The bank: balances per account, transfers, and account closures, executed only on
 * a valid PERMIT for exactly that request.
 */
import type { JwkSet } from '@writ/verify'
import {
  type PermittedRequest,
  type ReceivingService,
  type ServiceReply,
  startReceivingService,
} from './service-host.js'

/** One executed transfer. */
export interface Transfer {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly amount: number
  readonly currency: string
  readonly memo: string | null
  /** The receipt (`jti`) that authorized it. */
  readonly receiptId: string
  readonly agent: string
}

/** What the bank's page panel shows. */
export interface BankState {
  readonly balances: Readonly<Record<string, number>>
  readonly transfers: readonly Transfer[]
  readonly closedAccounts: readonly string[]
}

/** The running bank. */
export interface Bank extends ReceivingService {
  state(): BankState
  /** Back to the opening balances, no transfers, no refusals, a fresh guard trusting `keys`. */
  reset(keys: JwkSet | string): void
}

/** The account the agents pay from. */
export const OPERATING_ACCOUNT = 'ops'

function initialBalances(): Record<string, number> {
  return Object.assign(Object.create(null), {
    ops: 25000,
    'acme-supplies': 0,
    'city-utilities': 0,
    'northwind-consulting': 0,
    'mallory-holdings': 0,
  })
}

/** Starts the bank with the authority's published keys. */
export async function startBank(keys: JwkSet | string): Promise<Bank> {
  let balances = initialBalances()
  let transfers: Transfer[] = []
  let closedAccounts: string[] = []

  const execute = (request: PermittedRequest): ServiceReply => {
    if (request.action === 'bank.close_account') {
      const account = request.path.split('/')[2] ?? ''
      closedAccounts.push(account)
      return { status: 200, body: { closed: account } }
    }
    const { to, amount, currency, memo } = request.body
    const from = typeof request.body['from'] === 'string' ? request.body['from'] : OPERATING_ACCOUNT
    if (typeof to !== 'string' || typeof amount !== 'number' || !(amount > 0)) {
      return { status: 422, body: { error: 'a transfer needs a payee and a positive amount' } }
    }
    const available = Object.hasOwn(balances, from) ? (balances[from] ?? 0) : 0
    if (available < amount) return { status: 422, body: { error: 'insufficient funds' } }
    balances[from] = available - amount
    balances[to] = (Object.hasOwn(balances, to) ? (balances[to] ?? 0) : 0) + amount
    const transfer: Transfer = {
      id: `tr-${transfers.length + 1}`,
      from,
      to,
      amount,
      currency: typeof currency === 'string' ? currency : 'EUR',
      memo: typeof memo === 'string' ? memo : null,
      receiptId: request.receipt.jti,
      agent: request.receipt.sub,
    }
    transfers.push(transfer)
    return { status: 201, body: { transfer, balance: balances[from] } }
  }

  const service = await startReceivingService({ name: 'bank', keys, execute })
  return {
    ...service,
    state: () => ({
      balances: { ...balances },
      transfers: [...transfers],
      closedAccounts: [...closedAccounts],
    }),
    reset: (nextKeys) => {
      service.resetGuard(nextKeys)
      balances = initialBalances()
      transfers = []
      closedAccounts = []
    },
  }
}
