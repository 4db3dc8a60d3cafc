import { holdSync, ManualLifecycleSource, type LifecycleState } from '@rowsync/policies'
import { relayPaths } from '@rowsync/schema'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { dana, startTestRelay, tom } from '../../packages/relay/test/testRelay.ts'
import {
  countRequests,
  openDevice,
  settled,
  statusWhere,
  until,
  type TestRelay,
} from './devices.ts'

// The sync engine obeys the lifecycle rules on a real relay: what a device does when it leaves
// the foreground in the middle of an initial download, and when scheduled syncs may fire.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A relay holding `rows` work orders of tom's, written by dana's device. */
async function relayWithRows(rows: number): Promise<TestRelay> {
  const relay = await startTestRelay(cleanups)
  const dispatcher = await openDevice(cleanups, relay, dana)
  const workOrders = dispatcher.database.table('workOrders')
  await Promise.all(
    Array.from({ length: rows }, (_, index) =>
      workOrders.insert({ title: `Job ${index}`, technician: 'tom' }),
    ),
  )
  await settled(dispatcher)
  await dispatcher.close()
  return relay
}

function foreground(platform: LifecycleState['platform'], extra: Partial<LifecycleState> = {}) {
  return new ManualLifecycleSource({
    platform,
    app: 'foreground',
    screenLocked: false,
    online: true,
    ...extra,
  })
}

/**
 * Opens tom's device and moves it to the background once the first rows of its initial
 * download are stored; resolves with the rows stored at that moment.
 */
async function backgroundMidDownload(relay: TestRelay, lifecycle: ManualLifecycleSource) {
  const device = await openDevice(cleanups, relay, tom, { lifecycle })
  const progress: number[] = []
  device.sync.subscribe((status) => {
    if (status.progress?.phase !== 'download') return
    progress.push(status.progress.rows)
    if (progress.length === 1) lifecycle.update({ app: 'background' })
  })
  await statusWhere(device.sync, (status) => status.heldBack !== undefined)
  return { device, progress }
}

/** Lets the event loop and the loopback network run for a while. */
function idle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('lifecycle on a real relay', () => {
  it('pauses an iOS download in the background and resumes it, not restarts it, in the foreground', async () => {
    const relay = await relayWithRows(1500)
    const requests = countRequests(cleanups)
    const lifecycle = foreground('ios')
    const { device, progress } = await backgroundMidDownload(relay, lifecycle)
    expect(device.sync.status.heldBack).toMatch(/background/i)
    await idle(300)
    const paused = device.database.table('workOrders').count()
    await idle(300)
    expect(device.database.table('workOrders').count()).toBe(paused)
    expect(paused).toBeLessThan(1500)

    lifecycle.update({ app: 'foreground' })
    await settled(device)
    expect(device.database.table('workOrders').count()).toBe(1500)
    expect(requests.get(relayPaths.snapshot)).toBe(1)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(progress.at(-1)).toBe(1500)
  })

  it('lets an Android download finish in the background but starts no scheduled sync there', async () => {
    const relay = await relayWithRows(1500)
    const requests = countRequests(cleanups)
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const lifecycle = foreground('android')
    const { device } = await backgroundMidDownload(relay, lifecycle)
    const workOrders = device.database.table('workOrders')
    await until(device.database, () => workOrders.count() === 1500)
    await statusWhere(device.sync, (status) => status.state !== 'syncing')
    const feedReads = requests.get(relayPaths.feed) ?? 0

    await vi.advanceTimersByTimeAsync(3 * 5 * 60_000)
    expect(requests.get(relayPaths.feed) ?? 0).toBe(feedReads)

    lifecycle.update({ app: 'foreground' })
    await settled(device)
    const afterForeground = requests.get(relayPaths.feed) ?? 0
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    await statusWhere(device.sync, (status) => status.state === 'connected')
    expect(requests.get(relayPaths.feed)).toBeGreaterThan(afterForeground)
  })

  it('pauses a Windows download in the background when background apps are set to Never', async () => {
    const relay = await relayWithRows(1500)
    const lifecycle = foreground('windows', { windowsBackgroundApps: 'never' })
    const { device } = await backgroundMidDownload(relay, lifecycle)
    expect(device.sync.status.heldBack).toMatch(/background/i)
    await idle(300)
    const paused = device.database.table('workOrders').count()
    await idle(300)
    expect(device.database.table('workOrders').count()).toBe(paused)
    lifecycle.update({ app: 'foreground' })
    await settled(device)
    expect(device.database.table('workOrders').count()).toBe(1500)
  })

  it('keeps a change made in the background in the outbox and sends it on return', async () => {
    const relay = await startTestRelay(cleanups)
    const lifecycle = foreground('android')
    const device = await openDevice(cleanups, relay, dana, { lifecycle })
    const observer = await openDevice(cleanups, relay, dana)
    await Promise.all([settled(device), settled(observer)])

    lifecycle.update({ app: 'background' })
    await device.database.table('customers').insert({ name: 'Written in the background' })
    await idle(200)
    expect(device.sync.status.pendingUpload).toBe(1)
    expect(observer.database.table('customers').count()).toBe(0)

    lifecycle.update({ app: 'foreground' })
    const customers = observer.database.table('customers')
    await until(observer.database, () => customers.count() === 1)
    await settled(device)
  })

  it("holds sync back by an app's own rule, with its reason, and syncs once it allows", async () => {
    const relay = await startTestRelay(cleanups)
    let onWifi = false
    const wifiOnly = () => (onWifi ? undefined : holdSync('Sync waits for Wi-Fi.'))
    const device = await openDevice(cleanups, relay, dana, { rules: [wifiOnly] })
    await device.database.table('customers').insert({ name: 'On cellular' })
    await device.sync.syncNow()
    expect(device.sync.status).toMatchObject({
      state: 'not-connected',
      pendingUpload: 1,
      heldBack: 'Sync waits for Wi-Fi.',
    })

    onWifi = true
    await device.sync.syncNow()
    await settled(device)
    expect(device.sync.status.heldBack).toBeUndefined()
  })
})
