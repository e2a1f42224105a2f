// Apart from the transaction that writes it, so the public declarations (GroupCommitOptions)
// never reach the SQLite driver's types.
import type { AppendContext, AppendOptions, IssuedReceipt, StoredReceipt } from '@writ/core'

/** One call of `Store.append`, waiting for the transaction that records it. */
export interface PendingAppend {
  readonly chainId: string
  readonly options: AppendOptions
  readonly issue: (context: AppendContext) => IssuedReceipt
  readonly resolve: (receipt: StoredReceipt) => void
  readonly reject: (error: unknown) => void
}
