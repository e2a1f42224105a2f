/**
 * Transparency routes (spec section 12), all public: the latest checkpoint note of a chain,
 * and inclusion and consistency proofs, so anyone can check one receipt or the log's growth
 * with a few hundred bytes.
 */
import { chainTree } from '@writ/core'
import { base64Encode, leafHash, WritError } from '@writ/verify'
import type { Context, Hono } from 'hono'
import { problem, storeUnavailable } from '../problem.js'
import type { RouteContext } from './route-context.js'

const INTEGER = /^(?:0|[1-9][0-9]{0,15})$/

/** A query parameter as a non-negative integer, or `undefined` when absent or malformed. */
function integer(http: Context, name: string): number | undefined {
  const value = http.req.query(name)
  return value !== undefined && INTEGER.test(value) ? Number(value) : undefined
}

function proofProblem(error: unknown): Response {
  if (WritError.isInstance(error) && error.code === 'PROOF_INVALID') {
    return problem(400, 'PROOF_INVALID', error.message)
  }
  return storeUnavailable(error, 'The store is unavailable.')
}

/** `GET /v1/chains/:id/checkpoint`, `…/proof/inclusion?seq=N&size=S`, `…/proof/consistency?from=A&to=B`. */
export function registerTransparencyRoutes(app: Hono, context: RouteContext): void {
  const { gate } = context
  app.get('/v1/chains/:id/checkpoint', async (http) => {
    const chainId = http.req.param('id')
    try {
      const note = await gate.store.latestCheckpointNote(chainId)
      if (note === undefined) {
        return problem(404, 'CHECKPOINT_INVALID', `No checkpoint for chain ${chainId} yet.`)
      }
      return http.body(note.note, 200, { 'content-type': 'text/plain; charset=utf-8' })
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
  })

  app.get('/v1/chains/:id/proof/inclusion', async (http) => {
    const chainId = http.req.param('id')
    const seq = integer(http, 'seq')
    const size = integer(http, 'size')
    if (seq === undefined || size === undefined) {
      return problem(400, 'PROOF_INVALID', 'seq and size are non-negative integers.')
    }
    try {
      const tree = chainTree(gate.store, chainId)
      const proof = await tree.inclusionProof(seq, size)
      let token: string | undefined
      for await (const receipt of gate.store.receipts(chainId, { fromSeq: seq, limit: 1 })) {
        token = receipt.token
      }
      return http.json({
        chain: chainId,
        seq,
        size,
        leafHash: token === undefined ? null : base64Encode(leafHash(token)),
        proof: proof.map(base64Encode),
      })
    } catch (error) {
      return proofProblem(error)
    }
  })

  app.get('/v1/chains/:id/proof/consistency', async (http) => {
    const chainId = http.req.param('id')
    const from = integer(http, 'from')
    const to = integer(http, 'to')
    if (from === undefined || to === undefined) {
      return problem(400, 'PROOF_INVALID', 'from and to are non-negative integers.')
    }
    try {
      const proof = await chainTree(gate.store, chainId).consistencyProof(from, to)
      return http.json({ chain: chainId, from, to, proof: proof.map(base64Encode) })
    } catch (error) {
      return proofProblem(error)
    }
  })
}
