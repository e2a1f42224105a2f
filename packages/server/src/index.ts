// The authority service
export {
  type AuthorityServer,
  type AuthorityServerOptions,
  createAuthorityServer,
  type ListeningAuthority,
  type ReloadResult,
  startAuthorityServer,
} from './authority-server.js'

// Agent credentials
export { type AgentCredential, createCredentialCheck, hashToken } from './credentials.js'

// Metrics
export type { AuthorityMetrics } from './metrics.js'
