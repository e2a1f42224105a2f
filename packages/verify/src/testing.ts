/**
 * `@writ/verify/testing`: process-wide switches for tests and benchmarks. Setting one
 * changes every verification in the process, so production code never calls them. No
 * stability promise.
 *
 * @packageDocumentation
 */

// The Ed25519 backend: which implementation runs the signature equation

export {
  type Ed25519Backend,
  getEd25519Backend,
  isEd25519BackendAvailable,
  setEd25519Backend,
} from './ed25519.js'
