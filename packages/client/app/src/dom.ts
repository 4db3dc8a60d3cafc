/** A child of {@link h}: an element, text, or nothing. */
export type Child = Node | string | number | false | null | undefined

/** Attributes and event handlers of {@link h}; `on<event>` keys take listeners. */
export type Props = Record<string, unknown>

/**
 * Creates an element. Props: `class`, `text`, `value`/`checked` (set as properties),
 * `on<event>` (listeners, e.g. `onclick`), booleans as present or absent attributes, anything
 * else as a string attribute; `null` and `undefined` are left out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value as EventListener)
    } else if (key === 'value' || key === 'checked') {
      ;(element as unknown as Record<string, unknown>)[key] = value
    } else if (typeof value === 'string' || typeof value === 'number' || value === true) {
      const text = value === true ? '' : String(value)
      if (key === 'class') element.className = text
      else if (key === 'text') element.textContent = text
      else element.setAttribute(key, text)
    }
  }
  append(element, children)
  return element
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A time for people: "12 Mar 2026, 14:05" in the browser's locale. */
export function formatTime(milliseconds: number): string {
  return timeFormat.format(new Date(milliseconds))
}

/** A byte count for people: "1.2 MB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}
