// Node 20 lacks a few ES2024 built-ins that vitest 5 uses while reporting failures
// (Map.groupBy). Node 22+ has them natively; this file then does nothing.
if (typeof Map.groupBy !== "function") {
  Map.groupBy = (items, key) => {
    const map = new Map()
    let i = 0
    for (const item of items) {
      const k = key(item, i++)
      const list = map.get(k)
      if (list) list.push(item)
      else map.set(k, [item])
    }
    return map
  }
}
if (typeof Object.groupBy !== "function") {
  Object.groupBy = (items, key) => {
    const out = Object.create(null)
    let i = 0
    for (const item of items) (out[key(item, i++)] ??= []).push(item)
    return out
  }
}
