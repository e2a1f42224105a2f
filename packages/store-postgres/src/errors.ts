import { WritError } from '@writ/verify'

/** SQLSTATE classes and codes that mean "the database is not there right now". */
const unavailableStates = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '40P01',
  '55P03',
  '57014',
])
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
])

/**
 * Turns anything PostgreSQL or the driver throws into a WritError with a stable
 * code. The store never lets a raw driver error escape: callers branch on codes,
 * and the gate refuses on every one of them.
 */
export function toStoreError(error: unknown, operation: string): WritError {
  if (WritError.isInstance(error)) return error
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >
  const state = typeof record['code'] === 'string' ? (record['code'] as string) : ''
  const message = error instanceof Error ? error.message : String(error)
  const details = { operation, sqlstate: state || undefined }
  if (state === '53100')
    return new WritError('STORE_FULL', `PostgreSQL is out of disk space during ${operation}`, {
      cause: error,
      details,
    })
  if (state === '23505')
    return new WritError(
      'STORE_CONFLICT',
      `A concurrent writer took the same position during ${operation}`,
      { cause: error, details },
    )
  if (
    unavailableStates.has(state) ||
    unavailableErrnos.has(state) ||
    /terminat|connect|timeout|Connection/i.test(message)
  ) {
    return new WritError(
      'STORE_UNAVAILABLE',
      `PostgreSQL is unavailable during ${operation}: ${message}`,
      { cause: error, details },
    )
  }
  return new WritError('STORE_UNAVAILABLE', `PostgreSQL failed during ${operation}: ${message}`, {
    cause: error,
    details,
  })
}
