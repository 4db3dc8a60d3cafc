import { describe, expect, it } from 'vitest'
import { RelayMetrics } from '../../src/http/RelayMetrics.ts'

describe('RelayMetrics', () => {
  it('keeps each instance on its own registry', async () => {
    const first = new RelayMetrics()
    const second = new RelayMetrics()
    first.connectedPeers.set(3)
    expect(await first.registry.getSingleMetricAsString('rowsync_relay_connected_peers')).toContain(
      'rowsync_relay_connected_peers 3',
    )
    expect(
      await second.registry.getSingleMetricAsString('rowsync_relay_connected_peers'),
    ).toContain('rowsync_relay_connected_peers 0')
  })

  it('counts sync messages by direction', async () => {
    const metrics = new RelayMetrics({ defaultMetrics: false })
    metrics.syncMessages.inc({ direction: 'in' })
    metrics.syncMessages.inc({ direction: 'in' })
    metrics.syncBytes.inc({ direction: 'out' }, 512)
    const text = await metrics.registry.metrics()
    expect(text).toContain('rowsync_relay_sync_messages_total{direction="in"} 2')
    expect(text).toContain('rowsync_relay_sync_bytes_total{direction="out"} 512')
  })

  it('leaves out process metrics when asked', async () => {
    const text = await new RelayMetrics({ defaultMetrics: false }).registry.metrics()
    expect(text).not.toContain('process_cpu')
  })

  it('uses the given prefix', async () => {
    const text = await new RelayMetrics({
      prefix: 'edge_',
      defaultMetrics: false,
    }).registry.metrics()
    expect(text).toContain('# TYPE edge_stored_rows gauge')
  })
})
