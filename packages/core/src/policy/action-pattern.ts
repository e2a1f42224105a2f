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

/**
 * Compiles a glob to an anchored regular expression. For display and tests only: a
 * backtracking engine takes polynomial time on globs with many stars (`*a*a*a*a*b`
 * against `aaaa…`), so matching uses {@link compileGlob}.
 */
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

const LITERAL = 0
const STAR = 1 // `*`: any characters but `.`
const ANY = 2 // `**`: any characters

/**
 * Compiles a glob to a matcher that runs in O(pattern × name) time whatever the input:
 * it simulates the glob's automaton over the set of pattern positions reachable so far,
 * so it never backtracks. (`globToRegExp` on a backtracking engine is polynomial in the
 * name length with the number of stars as exponent: six stars and a 60-character name
 * already take seconds, and an agent chooses the name.)
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  const kinds: number[] = []
  const characters: number[] = []
  for (let index = 0; index < pattern.length; index++) {
    const code = pattern.charCodeAt(index)
    if (code === 0x2a /* * */) {
      if (pattern.charCodeAt(index + 1) === 0x2a) {
        kinds.push(ANY)
        index++
      } else kinds.push(STAR)
      characters.push(-1)
    } else {
      kinds.push(LITERAL)
      characters.push(code)
    }
  }
  const length = kinds.length
  // Adds `state` and every state reachable from it without reading a character
  // (a star may match nothing).
  const close = (states: Uint8Array, state: number): void => {
    let current = state
    while (current <= length && states[current] === 0) {
      states[current] = 1
      if (current === length || kinds[current] === LITERAL) return
      current++
    }
  }
  return (name: string): boolean => {
    let states = new Uint8Array(length + 1)
    let next = new Uint8Array(length + 1)
    close(states, 0)
    for (let offset = 0; offset < name.length; offset++) {
      const code = name.charCodeAt(offset)
      next.fill(0)
      let alive = false
      for (let state = 0; state < length; state++) {
        if (states[state] === 0) continue
        const kind = kinds[state]
        if (kind === LITERAL) {
          if (characters[state] === code) {
            close(next, state + 1)
            alive = true
          }
        } else if (kind === ANY || code !== 0x2e /* . */) {
          // The star consumes this character and may go on (stay) or stop (move on).
          close(next, state)
          alive = true
        }
      }
      if (!alive) return false
      const swap = states
      states = next
      next = swap
    }
    return states[length] === 1
  }
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
  return isGlob(pattern) ? compileGlob(pattern)(name) : pattern === name
}
