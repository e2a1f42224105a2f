// The authority service

// Per-credential limits
export type { AgentLimitOptions } from './agent-limits.js'
// The approvals page: passkeys, enrollment links, holds in plain words
export {
  type ApprovalsPageOptions,
  rpIdOf,
  withRegisteredPasskeys,
} from './approvals/approvals-page.js'
export type { HoldPresentation, LimitPresentation } from './approvals/hold-presentation.js'
export {
  DEFAULT_ENROLLMENT_TTL_SECONDS,
  type Enrollment,
  openPasskeyRegistry,
  type PasskeyRegistry,
  type StoredPasskey,
} from './approvals/passkey-registry.js'
export {
  type AuthorityServer,
  type AuthorityServerOptions,
  createAuthorityServer,
  type ListeningAuthority,
  type ReloadResult,
  startAuthorityServer,
} from './authority-server.js'
// Transparency: checkpoint notes, and a C2SP tlog-witness (spec section 12)
export {
  type CheckpointPublisher,
  createCheckpointPublisher,
} from './checkpoint-publisher.js'
// The operator's console
export {
  CONSOLE_API_ROUTES,
  CONSOLE_PUBLIC_ROUTES,
  type ConsoleOptions,
} from './console/console-page.js'
// Agent credentials
export {
  type AgentCredential,
  createCredentialCheck,
  hashToken,
  type OperatorCredential,
  type Principal,
} from './credentials.js'
// The decision wire format
export {
  type DecisionInput,
  decodeStrictBase64,
  type ProposedHttpRequest,
} from './decision-request.js'
// Binding the port first, and draining on shutdown
export {
  type BindOptions,
  type BoundAuthority,
  bindAuthority,
  type DrainResult,
  type FetchHandler,
  type UnansweredDecision,
} from './drain.js'
// Structured logs
export {
  type AuthorityLogger,
  type AuthorityLoggerOptions,
  createAuthorityLogger,
  LOG_LEVELS,
  type LogLevel,
  parseLogLevel,
} from './logging.js'
// Metrics
export type { AuthorityMetrics } from './metrics.js'
// Readiness
export { signingKeyProblem } from './readiness.js'
// Receipts as served
export type { ReceiptView } from './receipt-view.js'
export {
  createWitness,
  type WitnessAnswer,
  type WitnessOptions,
} from './witness/witness.js'
export {
  createWitnessApp,
  type ListeningWitness,
  startWitnessServer,
} from './witness/witness-server.js'
export {
  openWitnessState,
  originHash,
  type WitnessRecord,
  type WitnessState,
} from './witness/witness-state.js'
