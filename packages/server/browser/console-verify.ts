/**
 * What the console runs in the browser: `@writ/verify`, bundled with esbuild into
 * `assets/console-verify.js` by the package's build (`scripts/bundle-console.mjs`). A receipt is verified
 * here with the published key set alone, never by asking the server to vouch for it.
 */
import { type JwkSet, tokenDigest, verifyReceipt, WritError } from '@writ/verify'

/** The outcome the inspector shows. */
export type Verdict =
  | { readonly ok: true; readonly kid: string; readonly digest: string; readonly claims: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string }

/** Verifies a receipt token against the key set. */
export async function verify(token: string, keys: JwkSet): Promise<Verdict> {
  try {
    const verified = await verifyReceipt(token, keys)
    return { ok: true, kid: verified.header.kid, digest: verified.digest, claims: verified.claims }
  } catch (error) {
    return {
      ok: false,
      code: WritError.isInstance(error) ? error.code : 'UNEXPECTED',
      message: error instanceof Error ? error.message : String(error),
    }
  }
}

/** The digest a receipt's successor names as `chain.prev`. */
export function digestOf(token: string): string {
  return tokenDigest(token)
}
