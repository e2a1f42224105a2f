import type { LocalGate } from '@writ/core'
import type { AgentLimits } from '../agent-limits.js'
import type { CheckpointPublisher } from '../checkpoint-publisher.js'
import type { Principal } from '../credentials.js'
import type { AuthorityLogger } from '../logging.js'
import type { AuthorityMetrics } from '../metrics.js'

/** What every route handler of the authority works with. */
export interface RouteContext {
  readonly gate: LocalGate
  readonly metrics: AuthorityMetrics
  readonly logger: AuthorityLogger
  readonly limits: AgentLimits
  readonly maxBodyBytes: number
  readonly acceptAgentContext: boolean
  readonly publicMetrics: boolean
  /** Signs checkpoint notes and has witnesses cosign them (spec section 12). */
  readonly checkpoints: CheckpointPublisher
  /** The caller named by an `Authorization` header; a failure is counted. */
  principalOf(authorization: string | undefined): Principal | undefined
}
