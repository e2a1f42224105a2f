/** What a decision says before it is signed: the kind, its reason, and the deciding rule. */
export interface Outcome {
  readonly decision: 'PERMIT' | 'DENY' | 'SILENCE'
  readonly reason: string
  readonly rule: string | null
}
