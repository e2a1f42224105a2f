/**
 * The data warehouse: exports of tables to destinations, executed only on a valid
 * PERMIT for exactly that request.
 */
import type { JwkSet } from '@writ/verify'
import {
  type PermittedRequest,
  type ReceivingService,
  type ServiceReply,
  startReceivingService,
} from './service-host.js'

/** One executed export. */
export interface DataExport {
  readonly id: string
  readonly table: string
  readonly columns: readonly string[]
  readonly destination: string
  readonly rows: number
  readonly receiptId: string
  readonly agent: string
}

/** What the warehouse's page panel shows. */
export interface WarehouseState {
  readonly tables: Readonly<Record<string, number>>
  readonly exports: readonly DataExport[]
}

/** The running warehouse. */
export interface Warehouse extends ReceivingService {
  state(): WarehouseState
  /** No exports, no refusals, a fresh guard trusting `keys`. */
  reset(keys: JwkSet | string): void
}

const tables: Readonly<Record<string, number>> = Object.assign(Object.create(null), {
  sales_2024: 48210,
  customers: 12877,
  support_tickets: 3302,
})

/** Starts the warehouse with the authority's published keys. */
export async function startWarehouse(keys: JwkSet | string): Promise<Warehouse> {
  let exports: DataExport[] = []

  const execute = (request: PermittedRequest): ServiceReply => {
    const { table, columns, destination } = request.body
    if (
      typeof table !== 'string' ||
      !Object.hasOwn(tables, table) ||
      typeof destination !== 'string' ||
      !Array.isArray(columns) ||
      !columns.every((column) => typeof column === 'string')
    ) {
      return { status: 422, body: { error: 'unknown table or malformed export' } }
    }
    const entry: DataExport = {
      id: `ex-${exports.length + 1}`,
      table,
      columns: columns as string[],
      destination,
      rows: tables[table] ?? 0,
      receiptId: request.receipt.jti,
      agent: request.receipt.sub,
    }
    exports.push(entry)
    return { status: 201, body: { export: entry } }
  }

  const service = await startReceivingService({ name: 'warehouse', keys, execute })
  return {
    ...service,
    state: () => ({ tables: { ...tables }, exports: [...exports] }),
    reset: (nextKeys) => {
      service.resetGuard(nextKeys)
      exports = []
    },
  }
}
