// The authority service
export {
  createAuthorityServer,
  startAuthorityServer,
  type AuthorityServer,
  type AuthorityServerOptions,
  type ListeningAuthority,
  type ReloadResult,
} from './authority-server.js'

// Agent credentials
export { createCredentialCheck, hashToken, type AgentCredential } from './credentials.js'

// Metrics
export { type AuthorityMetrics } from './metrics.js'
