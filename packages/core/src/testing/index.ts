// Store conformance suite (vitest), for store implementations
export {
  describeStoreConformance,
  type StoreFactory,
  type StoreUnderTest,
} from './store-conformance.js'
