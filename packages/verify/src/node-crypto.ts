/**
 * Finds `node:crypto` at run time without a static import, so browser and edge bundles
 * never try to resolve it. Returns `undefined` outside Node (or on Node older than 20.16).
 */

/** The part of `node:crypto` Writ uses. */
export interface NodeCryptoLike {
  createHash(algorithm: string): {
    update(data: Uint8Array | string): {
      digest(): Uint8Array
      digest(encoding: 'hex'): string
    }
  }
  /**
   * One-shot digest (Node 20.12+, 21.7+); absent in older Node and in runtimes that only
   * imitate `node:crypto`. A string is hashed as its UTF-8 bytes, as `createHash` does.
   */
  hash?(algorithm: string, data: Uint8Array | string, outputEncoding: 'hex' | 'latin1'): string
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown
  verify(algorithm: null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean
}

let cached: NodeCryptoLike | null | undefined

/** `node:crypto` when running in Node, else `undefined`. @internal */
export function getNodeCrypto(): NodeCryptoLike | undefined {
  if (cached === undefined) {
    try {
      const runtime = globalThis as {
        process?: { getBuiltinModule?: (name: string) => unknown }
      }
      const module = runtime.process?.getBuiltinModule?.('node:crypto') as
        | NodeCryptoLike
        | undefined
      cached =
        module && typeof module.createHash === 'function' && typeof module.verify === 'function'
          ? module
          : null
    } catch {
      cached = null
    }
  }
  return cached ?? undefined
}
