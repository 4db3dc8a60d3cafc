/**
 * The first `count` items in `compare` order, sorted. For a small page of a large result this
 * keeps only the page in a sorted buffer (O(n log count)) instead of sorting every match.
 * @param items - the candidates, in any order
 * @param count - how many to keep (may be Infinity)
 * @param compare - a total order
 */
export function selectFirst<T>(
  items: readonly T[],
  count: number,
  compare: (a: T, b: T) => number,
): T[] {
  if (count >= items.length / 4) return [...items].sort(compare).slice(0, count)
  const kept: T[] = []
  for (const item of items) {
    const last = kept[kept.length - 1]
    if (kept.length === count && last !== undefined && compare(item, last) >= 0) continue
    let low = 0
    let high = kept.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compare(kept[middle]!, item) <= 0) low = middle + 1
      else high = middle
    }
    kept.splice(low, 0, item)
    if (kept.length > count) kept.pop()
  }
  return kept
}
