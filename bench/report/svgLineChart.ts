/** One point of a series; `low` and `high` draw a range bar (e.g. slowest and fastest run). */
export interface ChartPoint {
  readonly x: number
  readonly y: number
  readonly low?: number
  readonly high?: number
}

/** One line of a chart. */
export interface ChartSeries {
  readonly name: string
  /** A CSS colour. */
  readonly color: string
  readonly points: readonly ChartPoint[]
}

/** What {@link svgLineChart} draws. */
export interface LineChart {
  readonly title: string
  readonly subtitle?: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: readonly ChartSeries[]
  /** Also a point's tooltip: `unit` follows the y value. */
  readonly unit?: string
}

const width = 720
const height = 420
const margin = { top: 64, right: 170, bottom: 56, left: 76 }
const plotWidth = width - margin.left - margin.right
const plotHeight = height - margin.top - margin.bottom
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 })
const precise = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 })

/**
 * A line chart as a standalone SVG document, both axes logarithmic (row counts and rates span
 * decades), with a legend on the right. Hand-rolled because no small, maintained chart library
 * is installed; it draws only what the benchmark report needs.
 * @param chart - see {@link LineChart}
 * @throws {Error} when a value is not a positive finite number, or there are no points
 */
export function svgLineChart(chart: LineChart): string {
  const points = chart.series.flatMap((series) => series.points)
  if (points.length === 0) throw new Error(`svgLineChart ${chart.title}: no points`)
  for (const point of points) {
    for (const value of [point.x, point.y, point.low ?? point.y, point.high ?? point.y]) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new Error(`svgLineChart ${chart.title}: ${value} cannot go on a log axis`)
      }
    }
  }
  const xDomain = logDomain(points.map((point) => point.x))
  const yDomain = logDomain(
    points.flatMap((point) => [point.low ?? point.y, point.high ?? point.y]),
  )
  const xAt = (x: number): number => margin.left + logPosition(x, xDomain) * plotWidth
  const yAt = (y: number): number => margin.top + (1 - logPosition(y, yDomain)) * plotHeight
  const unit = chart.unit ? ` ${chart.unit}` : ''

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(margin.left, 24, chart.title, { size: 16, weight: 'bold' }),
  ]
  if (chart.subtitle) parts.push(text(margin.left, 44, chart.subtitle, { fill: '#555' }))
  for (const tick of logTicks(xDomain)) {
    const x = round(xAt(tick))
    parts.push(line(x, margin.top, x, margin.top + plotHeight, '#e5e5e5'))
    parts.push(text(x, margin.top + plotHeight + 18, compact.format(tick), { anchor: 'middle' }))
  }
  for (const tick of logTicks(yDomain)) {
    const y = round(yAt(tick))
    parts.push(line(margin.left, y, margin.left + plotWidth, y, '#e5e5e5'))
    parts.push(text(margin.left - 8, y + 4, compact.format(tick), { anchor: 'end' }))
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    text(margin.left + plotWidth / 2, height - 14, chart.xLabel, { anchor: 'middle' }),
    text(18, margin.top + plotHeight / 2, chart.yLabel, {
      anchor: 'middle',
      transform: `rotate(-90 18 ${margin.top + plotHeight / 2})`,
    }),
  )
  chart.series.forEach((series, index) => {
    const sorted = [...series.points].sort((a, b) => a.x - b.x)
    const path = sorted.map((point) => `${round(xAt(point.x))},${round(yAt(point.y))}`).join(' ')
    parts.push(`<g stroke="${escape(series.color)}" fill="${escape(series.color)}">`)
    if (sorted.length > 1) parts.push(`<polyline points="${path}" fill="none" stroke-width="2"/>`)
    for (const point of sorted) {
      const x = round(xAt(point.x))
      if (point.low !== undefined && point.high !== undefined) {
        const [top, bottom] = [round(yAt(point.high)), round(yAt(point.low))]
        parts.push(
          line(x, top, x, bottom),
          line(x - 4, top, x + 4, top),
          line(x - 4, bottom, x + 4, bottom),
        )
      }
      parts.push(
        `<circle cx="${x}" cy="${round(yAt(point.y))}" r="3.5"><title>${escape(
          `${series.name}: ${precise.format(point.y)}${unit} at ${precise.format(point.x)} ${chart.xLabel}`,
        )}</title></circle>`,
      )
    }
    parts.push('</g>')
    const legendY = margin.top + 8 + index * 22
    const legendX = margin.left + plotWidth + 16
    parts.push(
      `<rect x="${legendX}" y="${legendY - 6}" width="14" height="4" fill="${escape(series.color)}"/>`,
      text(legendX + 22, legendY, series.name),
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

/** The domain of a log axis: the values' range, widened to a factor of ten when it is narrower. */
function logDomain(values: readonly number[]): [number, number] {
  const low = Math.log10(Math.min(...values))
  const high = Math.log10(Math.max(...values))
  const pad = Math.max(0, 1 - (high - low)) / 2 + 0.05
  return [low - pad, high + pad]
}

function logPosition(value: number, [low, high]: [number, number]): number {
  return (Math.log10(value) - low) / (high - low)
}

/** Ticks at 1, 2 and 5 times powers of ten inside the domain; only powers of ten over wide ranges. */
function logTicks([low, high]: [number, number]): number[] {
  const steps = high - low > 3 ? [1] : [1, 2, 5]
  const ticks: number[] = []
  for (let decade = Math.floor(low); decade <= Math.ceil(high); decade++) {
    for (const step of steps) {
      const tick = step * 10 ** decade
      if (Math.log10(tick) >= low && Math.log10(tick) <= high) ticks.push(tick)
    }
  }
  return ticks
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

function line(x1: number, y1: number, x2: number, y2: number, stroke?: string): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"${stroke ? ` stroke="${stroke}"` : ''}/>`
}

function text(
  x: number,
  y: number,
  content: string,
  style: {
    size?: number
    weight?: string
    fill?: string
    anchor?: string
    transform?: string
  } = {},
): string {
  const attributes = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    style.size ? `font-size="${style.size}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    `fill="${style.fill ?? '#222'}"`,
    style.anchor ? `text-anchor="${style.anchor}"` : '',
    style.transform ? `transform="${style.transform}"` : '',
  ]
  return `<text ${attributes.filter(Boolean).join(' ')}>${escape(content)}</text>`
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)
}
