// Store conformance suite (vitest), for store implementations
export { type StoreFactory, type StoreUnderTest, describeStoreConformance } from './store-conformance.js'
