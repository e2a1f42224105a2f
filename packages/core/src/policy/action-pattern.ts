/**
 * Action patterns: an exact action name, or a glob where `*` matches any characters but
 * `.` (one name segment, possibly empty) and `**` matches any characters.
 * `payments.*` matches `payments.transfer` but not `payments.a.b`; `payments.**`
 * matches both; neither matches `payments`.
 */

/** True when `pattern` holds a `*` (a glob rather than an exact name). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*')
}

/** The literal text of a glob before its first `*`. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf('*')
  return star === -1 ? pattern : pattern.slice(0, star)
}

/** Compiles a glob to an anchored regular expression (linear time: no nested quantifiers). */
export function globToRegExp(pattern: string): RegExp {
  let source = '^'
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index]!
    if (character === '*') {
      if (pattern[index + 1] === '*') {
        source += '.*'
        index++
      } else source += '[^.]*'
    } else source += /[A-Za-z0-9_:]/.test(character) ? character : `\\${character}`
  }
  return new RegExp(`${source}$`)
}

/**
 * True when action `name` matches `pattern` (exact or glob).
 *
 * @example
 * ```ts
 * matchesAction('payments.*', 'payments.transfer') // true
 * matchesAction('payments.*', 'payments.a.b')      // false
 * matchesAction('payments.**', 'payments.a.b')     // true
 * ```
 */
export function matchesAction(pattern: string, name: string): boolean {
  return isGlob(pattern) ? globToRegExp(pattern).test(name) : pattern === name
}
