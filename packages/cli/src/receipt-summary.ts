/**
 * A short, human-readable account of a receipt's claims, for terminal output.
 */
import type { ReceiptClaims } from '@writ/verify'

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString()
}

/** A few lines describing what a receipt records, ending with a newline. */
export function describeReceipt(claims: ReceiptClaims): string {
  const lines = [
    `decision  ${claims.decision}  reason ${claims.reason}  rule ${claims.rule ?? '(none)'}`,
    `action    ${claims.act.name}  args ${claims.act.args}`,
    `agent     ${claims.sub}  request ${claims.req}${claims.aud === undefined ? '' : `  audience ${claims.aud}`}`,
    `policy    ${claims.policy.id}  ${claims.policy.digest}`,
    `issued    ${isoTime(claims.iat)} by ${claims.iss}  expires ${isoTime(claims.exp)}`,
    `receipt   ${claims.jti}  chain ${claims.chain.id} seq ${claims.chain.seq}`,
  ]
  if (claims.http !== undefined)
    lines.push(`http      ${claims.http.method} ${claims.http.uri}  body ${claims.http.body}`)
  if (claims.appr !== undefined)
    lines.push(
      `approved  by ${claims.appr.map((entry) => entry.by).join(', ')} on hold ${String(claims.hold)}`,
    )
  if (typeof claims.hold === 'object')
    lines.push(
      `held      for approval by ${claims.hold.approvers} (${claims.hold.quorum} needed) until ${isoTime(claims.hold.exp)}, hold ${claims.hold.id ?? claims.jti}`,
    )
  if (claims.decision !== 'PERMIT')
    lines.push(
      `note      a ${claims.decision} receipt is evidence of a refusal; it authorizes nothing`,
    )
  return `${lines.join('\n')}\n`
}
