/** Labels that say more than the field's name does. */
const labels: Readonly<Record<string, string>> = {
  estimateHours: 'Estimate (hours)',
}

/**
 * The name people read for a field or table: `dueDate` is "Due date".
 * @param name - the field or table name of the schema
 */
export function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return labels[name] ?? words.charAt(0).toUpperCase() + words.slice(1)
}
