import { compileGlob, isGlob, literalPrefix } from './action-pattern.js'

/** How many action names an {@link ActionIndex} remembers by default. */
export const DEFAULT_ACTION_CACHE_SIZE = 4096

interface GlobEntry {
  readonly matches: (name: string) => boolean
  readonly entry: number
}

const EMPTY: readonly never[] = Object.freeze([])

/**
 * Finds the entries (rules, limits) that apply to an action name. Built once per policy:
 * exact names sit in a `Map`; globs are grouped by their literal prefix before the first
 * `*`, so a lookup tests only globs whose prefix the name starts with. Results are
 * remembered per action name in a bounded LRU, so a hot action costs one `Map` lookup.
 *
 * Values come back in the order they were given, each at most once.
 */
export class ActionIndex<T> {
  readonly #values: readonly T[]
  readonly #exact = new Map<string, number[]>()
  readonly #globsByPrefix = new Map<string, GlobEntry[]>()
  readonly #prefixLengths: readonly number[]
  readonly #cache = new Map<string, readonly T[]>()
  readonly #cacheSize: number
  /** The action inserted into the cache last: already the most recent, nothing to refresh. */
  #newest: string | undefined

  constructor(
    entries: readonly { readonly patterns: readonly string[]; readonly value: T }[],
    cacheSize = DEFAULT_ACTION_CACHE_SIZE,
  ) {
    this.#values = entries.map((entry) => entry.value)
    this.#cacheSize = Math.max(0, cacheSize)
    const lengths = new Set<number>()
    entries.forEach((entry, index) => {
      for (const pattern of entry.patterns) {
        if (isGlob(pattern)) {
          const prefix = literalPrefix(pattern)
          lengths.add(prefix.length)
          let group = this.#globsByPrefix.get(prefix)
          if (group === undefined) {
            group = []
            this.#globsByPrefix.set(prefix, group)
          }
          group.push({ matches: compileGlob(pattern), entry: index })
        } else {
          let list = this.#exact.get(pattern)
          if (list === undefined) {
            list = []
            this.#exact.set(pattern, list)
          }
          if (list[list.length - 1] !== index) list.push(index)
        }
      }
    })
    this.#prefixLengths = [...lengths].sort((left, right) => left - right)
  }

  /** The values whose patterns match `action`, in entry order. The array is frozen and shared. */
  lookup(action: string): readonly T[] {
    const cached = this.#cache.get(action)
    if (cached !== undefined) {
      // Refresh recency; deleting and re-inserting keeps Map order = LRU order. The
      // newest entry is already last, and a gate mostly asks for the same action again.
      if (action !== this.#newest) {
        this.#cache.delete(action)
        this.#cache.set(action, cached)
        this.#newest = action
      }
      return cached
    }
    const found = this.#compute(action)
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        const oldest = this.#cache.keys().next()
        if (oldest.done !== true) this.#cache.delete(oldest.value)
      }
      this.#cache.set(action, found)
      this.#newest = action
    }
    return found
  }

  #compute(action: string): readonly T[] {
    let indices: number[] | undefined
    const exact = this.#exact.get(action)
    if (exact !== undefined) indices = [...exact]
    for (const length of this.#prefixLengths) {
      if (length > action.length) break
      const group = this.#globsByPrefix.get(action.slice(0, length))
      if (group === undefined) continue
      for (const glob of group) {
        if (glob.matches(action)) {
          indices ??= []
          indices.push(glob.entry)
        }
      }
    }
    if (indices === undefined) return EMPTY
    indices.sort((left, right) => left - right)
    const values: T[] = []
    let previous = -1
    for (const index of indices) {
      if (index !== previous) values.push(this.#values[index]!)
      previous = index
    }
    return Object.freeze(values)
  }
}
