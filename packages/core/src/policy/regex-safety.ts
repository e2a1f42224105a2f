/**
 * A small, conservative analyzer for the regular expressions of CEL `matches()`.
 *
 * The CEL library runs patterns on JavaScript's backtracking engine, so a pattern such
 * as `(a+)+$` can take exponential time on a short input. Writ accepts a pattern only
 * when it is in a subset whose matching time is linear in the input for the engine:
 *
 * - no backreferences, lookarounds, named groups, inline flags, `\p{…}` or `\c`;
 * - no quantifier applied to something that already contains a quantifier (`(a+)+`,
 *   `(a*)*`, `(a?){20}`, `(\w+\s?)*`);
 * - under a quantifier, alternatives must start with disjoint characters and never match
 *   the empty string (`(a|a)*`, `(a|ab)*`, `(a|)*` are refused);
 * - an alternation may not contain a variable quantifier (`(a+|b)`);
 * - two variable quantifiers whose character sets overlap must be separated by a
 *   required character disjoint from one of them (`\d+\.\d+` is fine, `.*a.*` is not);
 *   an unanchored pattern (no leading `^`) is searched from every position, so it is
 *   treated as if it began with `.*`: its first variable quantifier needs such a
 *   separator before it (`x\d+` is fine, `\d+x` is refused; write `^\d+x`).
 *
 * It refuses some harmless patterns; it must never accept a dangerous one.
 */

/** The most characters a `matches()` pattern may have. */
export const MAX_REGEX_LENGTH = 512

/** The largest bound of a `{n,m}` quantifier. */
export const MAX_REGEX_REPEAT = 1000

/** The verdict on a pattern: safe, or refused with a reason. */
export type RegexVerdict =
  | { readonly safe: true }
  | { readonly safe: false; readonly reason: string }

// A character set: sorted, disjoint, inclusive UTF-16 code-unit ranges.
type CharSet = readonly (readonly [number, number])[]
type RegexNode =
  | { readonly kind: 'char'; readonly set: CharSet }
  | { readonly kind: 'assert'; readonly anchorStart: boolean }
  | { readonly kind: 'group'; readonly alternatives: readonly (readonly RegexNode[])[] }
  | {
      readonly kind: 'repeat'
      readonly node: RegexNode
      readonly min: number
      readonly max: number
    }

class Refused extends Error {}

const MAX_CODE_UNIT = 0xffff
const ANY: CharSet = [[0, MAX_CODE_UNIT]]
const DIGITS: CharSet = [[0x30, 0x39]]
const WORD: CharSet = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
])
const SPACE: CharSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
])

function normalize(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((left, right) => left[0] - right[0])
  const merged: [number, number][] = []
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && low <= last[1] + 1) last[1] = Math.max(last[1], high)
    else merged.push([low, high])
  }
  return merged
}

function complement(set: CharSet): CharSet {
  const result: [number, number][] = []
  let next = 0
  for (const [low, high] of set) {
    if (low > next) result.push([next, low - 1])
    next = high + 1
  }
  if (next <= MAX_CODE_UNIT) result.push([next, MAX_CODE_UNIT])
  return result
}

function union(left: CharSet, right: CharSet): CharSet {
  return normalize([...left, ...right])
}

function intersects(left: CharSet, right: CharSet): boolean {
  let i = 0
  let j = 0
  while (i < left.length && j < right.length) {
    const a = left[i]!
    const b = right[j]!
    if (a[1] < b[0]) i++
    else if (b[1] < a[0]) j++
    else return true
  }
  return false
}

const single = (code: number): CharSet => [[code, code]]

class Parser {
  private index = 0
  constructor(private readonly pattern: string) {}

  parse(): RegexNode {
    const node = this.alternation()
    if (this.index < this.pattern.length) throw new Refused(`unbalanced ')' at ${this.index}`)
    return node
  }

  private peek(): string | undefined {
    return this.pattern[this.index]
  }

  private alternation(): RegexNode {
    const alternatives: RegexNode[][] = [this.sequence()]
    while (this.peek() === '|') {
      this.index++
      alternatives.push(this.sequence())
    }
    return { kind: 'group', alternatives }
  }

  private sequence(): RegexNode[] {
    const items: RegexNode[] = []
    for (
      let next = this.peek();
      next !== undefined && next !== '|' && next !== ')';
      next = this.peek()
    ) {
      const atom = this.atom()
      items.push(this.quantified(atom))
    }
    return items
  }

  private quantified(atom: RegexNode): RegexNode {
    const next = this.peek()
    let min: number
    let max: number
    if (next === '*') [min, max] = [0, Number.POSITIVE_INFINITY]
    else if (next === '+') [min, max] = [1, Number.POSITIVE_INFINITY]
    else if (next === '?') [min, max] = [0, 1]
    else if (next === '{') {
      const match = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(this.pattern.slice(this.index))
      if (match === null) throw new Refused(`malformed '{' quantifier at ${this.index}`)
      min = Number(match[1])
      max =
        match[2] === undefined ? min : match[3] === '' ? Number.POSITIVE_INFINITY : Number(match[3])
      if (min > max) throw new Refused(`quantifier {${min},${max}} has min > max`)
      if (min > MAX_REGEX_REPEAT || (max !== Number.POSITIVE_INFINITY && max > MAX_REGEX_REPEAT)) {
        throw new Refused(`quantifier bound above ${MAX_REGEX_REPEAT}`)
      }
      this.index += match[0].length - 1
    } else return atom
    this.index++
    if (this.peek() === '?') this.index++ // lazy: same analysis
    const after = this.peek()
    if (after === '*' || after === '+' || after === '?' || after === '{') {
      throw new Refused(`stacked quantifiers at ${this.index}`)
    }
    if (atom.kind === 'assert') throw new Refused('quantified assertion')
    if (min === 1 && max === 1) return atom
    return { kind: 'repeat', node: atom, min, max }
  }

  private atom(): RegexNode {
    const character = this.pattern[this.index]!
    const position = this.index
    this.index++
    switch (character) {
      case '(': {
        if (this.peek() === '?') {
          if (this.pattern[this.index + 1] !== ':') {
            throw new Refused(
              `lookarounds, named groups and inline flags are not allowed (at ${position})`,
            )
          }
          this.index += 2
        }
        const group = this.alternation()
        if (this.peek() !== ')') throw new Refused(`unclosed group at ${position}`)
        this.index++
        return group
      }
      case '[':
        return { kind: 'char', set: this.characterClass(position) }
      case '.':
        return { kind: 'char', set: ANY }
      case '^':
        return { kind: 'assert', anchorStart: true }
      case '$':
        return { kind: 'assert', anchorStart: false }
      case '\\':
        return this.escape(false)
      case '*':
      case '+':
      case '?':
      case '{':
        throw new Refused(`nothing to repeat at ${position}`)
      default:
        return { kind: 'char', set: single(character.charCodeAt(0)) }
    }
  }

  /** Reads an escape after the backslash. Returns a char node (or an assertion outside classes). */
  private escape(
    inClass: boolean,
  ): { kind: 'char'; set: CharSet } | { kind: 'assert'; anchorStart: false } {
    const character = this.pattern[this.index]
    if (character === undefined) throw new Refused('pattern ends with a backslash')
    this.index++
    switch (character) {
      case 'd':
        return { kind: 'char', set: DIGITS }
      case 'D':
        return { kind: 'char', set: complement(DIGITS) }
      case 'w':
        return { kind: 'char', set: WORD }
      case 'W':
        return { kind: 'char', set: complement(WORD) }
      case 's':
        return { kind: 'char', set: SPACE }
      case 'S':
        return { kind: 'char', set: complement(SPACE) }
      case 'n':
        return { kind: 'char', set: single(0x0a) }
      case 'r':
        return { kind: 'char', set: single(0x0d) }
      case 't':
        return { kind: 'char', set: single(0x09) }
      case 'f':
        return { kind: 'char', set: single(0x0c) }
      case 'v':
        return { kind: 'char', set: single(0x0b) }
      case 'b':
      case 'B':
        if (inClass) throw new Refused('\\b inside a character class is ambiguous; use \\x08')
        return { kind: 'assert', anchorStart: false }
      case 'x':
      case 'u': {
        const length = character === 'x' ? 2 : 4
        const hex = this.pattern.slice(this.index, this.index + length)
        if (!new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(hex))
          throw new Refused(`malformed \\${character} escape`)
        this.index += length
        return { kind: 'char', set: single(Number.parseInt(hex, 16)) }
      }
      default:
        if (/[0-9]/.test(character))
          throw new Refused('backreferences and octal escapes are not allowed')
        if (/[A-Za-z]/.test(character)) throw new Refused(`escape \\${character} is not allowed`)
        return { kind: 'char', set: single(character.charCodeAt(0)) }
    }
  }

  private classAtom(): CharSet {
    const character = this.pattern[this.index]
    if (character === undefined) throw new Refused('unclosed character class')
    this.index++
    if (character === '\\') {
      const escaped = this.escape(true)
      return escaped.kind === 'char' ? escaped.set : []
    }
    if (character === '[') throw new Refused("'[' inside a class must be escaped")
    return single(character.charCodeAt(0))
  }

  private characterClass(position: number): CharSet {
    let negated = false
    if (this.peek() === '^') {
      negated = true
      this.index++
    }
    if (this.peek() === ']') throw new Refused(`empty character class at ${position}`)
    const ranges: (readonly [number, number])[] = []
    while (this.peek() !== ']') {
      if (this.peek() === undefined) throw new Refused(`unclosed character class at ${position}`)
      const low = this.classAtom()
      if (
        this.peek() === '-' &&
        this.pattern[this.index + 1] !== ']' &&
        this.pattern[this.index + 1] !== undefined
      ) {
        this.index++
        const high = this.classAtom()
        const lowCode = low.length === 1 && low[0]![0] === low[0]![1] ? low[0]![0] : undefined
        const highCode = high.length === 1 && high[0]![0] === high[0]![1] ? high[0]![0] : undefined
        if (lowCode === undefined || highCode === undefined)
          throw new Refused('class range bounds must be single characters')
        if (lowCode > highCode) throw new Refused('class range out of order')
        ranges.push([lowCode, highCode])
      } else ranges.push(...low)
    }
    this.index++
    const set = normalize(ranges)
    return negated ? complement(set) : set
  }
}

/** True when `node` is or contains a quantifier. */
function containsRepeat(node: RegexNode): boolean {
  if (node.kind === 'repeat') return true
  if (node.kind === 'group') return node.alternatives.some((branch) => branch.some(containsRepeat))
  return false
}

function containsVariableRepeat(node: RegexNode): boolean {
  if (node.kind === 'repeat') return node.min !== node.max || containsVariableRepeat(node.node)
  if (node.kind === 'group')
    return node.alternatives.some((branch) => branch.some(containsVariableRepeat))
  return false
}

/** Every character `node` can consume. */
function charactersOf(node: RegexNode): CharSet {
  if (node.kind === 'char') return node.set
  if (node.kind === 'assert') return []
  if (node.kind === 'repeat') return charactersOf(node.node)
  let set: CharSet = []
  for (const branch of node.alternatives)
    for (const item of branch) set = union(set, charactersOf(item))
  return set
}

function checkNode(node: RegexNode): void {
  if (node.kind === 'repeat') {
    if (containsRepeat(node.node))
      throw new Refused('nested quantifiers (e.g. (a+)+) are not allowed')
    if (node.node.kind === 'group' && node.node.alternatives.length > 1) {
      const firsts: CharSet[] = []
      for (const branch of node.node.alternatives) {
        const first = branch[0]
        if (
          first === undefined ||
          first.kind === 'assert' ||
          branch.every((item) => item.kind === 'assert')
        ) {
          throw new Refused(
            'a repeated alternative must start with a character and not match the empty string',
          )
        }
        firsts.push(charactersOf(first))
      }
      for (let i = 0; i < firsts.length; i++) {
        for (let j = i + 1; j < firsts.length; j++) {
          if (intersects(firsts[i]!, firsts[j]!))
            throw new Refused('repeated alternatives that overlap (e.g. (a|a)*) are not allowed')
        }
      }
    }
    checkNode(node.node)
    return
  }
  if (node.kind === 'group') {
    if (
      node.alternatives.length > 1 &&
      node.alternatives.some((branch) => branch.some(containsVariableRepeat))
    ) {
      throw new Refused('an alternation may not contain a variable quantifier (e.g. (a+|b))')
    }
    for (const branch of node.alternatives) for (const item of branch) checkNode(item)
  }
}

interface SequenceItem {
  readonly set: CharSet
  readonly variable: boolean
  readonly mandatory: boolean
}

/** Flattens single-branch groups into one sequence of items for the overlap check. */
function flatten(items: readonly RegexNode[], into: SequenceItem[]): void {
  for (const item of items) {
    if (item.kind === 'assert') continue
    if (item.kind === 'group' && item.alternatives.length === 1) {
      flatten(item.alternatives[0]!, into)
      continue
    }
    if (item.kind === 'repeat') {
      into.push({
        set: charactersOf(item.node),
        variable: item.min !== item.max,
        mandatory: item.min >= 1 && !nullable(item.node),
      })
      continue
    }
    into.push({ set: charactersOf(item), variable: false, mandatory: !nullable(item) })
  }
}

function nullable(node: RegexNode): boolean {
  if (node.kind === 'char') return false
  if (node.kind === 'assert') return true
  if (node.kind === 'repeat') return node.min === 0 || nullable(node.node)
  return node.alternatives.some((branch) => branch.every(nullable))
}

function checkOverlaps(items: readonly SequenceItem[]): void {
  for (let j = 0; j < items.length; j++) {
    const later = items[j]!
    if (!later.variable) continue
    for (let i = 0; i < j; i++) {
      const earlier = items[i]!
      if (!earlier.variable || !intersects(earlier.set, later.set)) continue
      let separated = false
      for (let k = i + 1; k < j && !separated; k++) {
        const between = items[k]!
        separated =
          between.mandatory &&
          (!intersects(between.set, later.set) || !intersects(between.set, earlier.set))
      }
      if (!separated) {
        throw new Refused(
          i === 0 && earlier.set === ANY
            ? 'an unanchored pattern must not start with a quantifier that a search can retry at every position; anchor it with ^'
            : 'overlapping quantifiers without a separating character (e.g. .*a.* or \\d+\\d+) are not allowed',
        )
      }
    }
  }
}

/**
 * Decides whether `pattern` is safe to run on untrusted input with a backtracking
 * engine. Conservative: a `safe` verdict also means JavaScript's `RegExp` accepts it.
 *
 * @example
 * ```ts
 * analyzeRegex('^acct_[0-9]+$') // { safe: true }
 * analyzeRegex('(a+)+$')        // { safe: false, reason: 'nested quantifiers …' }
 * ```
 */
export function analyzeRegex(pattern: string): RegexVerdict {
  if (pattern.length > MAX_REGEX_LENGTH)
    return { safe: false, reason: `pattern longer than ${MAX_REGEX_LENGTH} characters` }
  try {
    const root = new Parser(pattern).parse()
    checkNode(root)
    if (root.kind === 'group' && root.alternatives.length === 1) {
      const branch = root.alternatives[0]!
      const anchored = branch[0]?.kind === 'assert' && branch[0].anchorStart
      const items: SequenceItem[] = anchored ? [] : [{ set: ANY, variable: true, mandatory: false }]
      flatten(branch, items)
      checkOverlaps(items)
    }
    new RegExp(pattern)
    return { safe: true }
  } catch (error) {
    if (error instanceof Refused) return { safe: false, reason: error.message }
    return { safe: false, reason: `not a valid pattern: ${(error as Error).message}` }
  }
}
