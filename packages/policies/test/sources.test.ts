import { describe, expect, it } from 'vitest'
import {
  BrowserLifecycleSource,
  ManualLifecycleSource,
  NodeLifecycleSource,
} from '@rowsync/policies'
import type { LifecycleState } from '@rowsync/policies'
import { FakeBrowserWindow, runLifecycleSourceConformance } from '@rowsync/policies/testing'
import type { LifecycleSourceHarness } from '@rowsync/policies/testing'

const phone: LifecycleState = {
  platform: 'android',
  app: 'foreground',
  screenLocked: false,
  online: true,
}

function manualHarness(): LifecycleSourceHarness {
  const source = new ManualLifecycleSource(phone)
  return {
    source,
    // Spell out the optional fields so a walk step replaces the whole state.
    drive: (state) =>
      source.update({ windowsBackgroundApps: 'power-optimized', batterySaver: false, ...state }),
    walk: [
      { ...phone, app: 'background' },
      { ...phone, app: 'background' },
      { ...phone, app: 'background', screenLocked: true },
      { ...phone, online: false },
      { ...phone, platform: 'ios' },
      { ...phone, platform: 'windows', windowsBackgroundApps: 'power-optimized' },
      { ...phone, platform: 'windows', windowsBackgroundApps: 'never', batterySaver: true },
      { ...phone, platform: 'windows', windowsBackgroundApps: 'never', batterySaver: false },
      { ...phone, app: 'closed' },
      phone,
    ],
  }
}

function nodeHarness(): LifecycleSourceHarness {
  const source = new NodeLifecycleSource()
  const fixed = source.current()
  return {
    source,
    drive: (state) => {
      // A Node process has nothing to drive: the only reachable state is the fixed one.
      expect(state).toEqual(fixed)
    },
    walk: [fixed, fixed],
  }
}

const tab: LifecycleState = {
  platform: 'browser',
  app: 'foreground',
  screenLocked: false,
  online: true,
}

function browserHarness(): LifecycleSourceHarness {
  const window = new FakeBrowserWindow()
  const source = new BrowserLifecycleSource({ window })
  return {
    source,
    // Dispatches the one event a browser would for the step, or a no-op event if none.
    drive: (target) => {
      const now = source.current()
      if (target.online !== now.online) window.setOnline(target.online)
      else if (target.app === now.app) window.setVisibility(window.document.visibilityState)
      else if (target.app === 'closed') window.pageHide(false)
      else if (now.app === 'closed') window.pageShow()
      else window.setVisibility(target.app === 'foreground' ? 'visible' : 'hidden')
    },
    walk: [
      { ...tab, app: 'background' },
      { ...tab, app: 'background' },
      { ...tab, app: 'background', online: false },
      { ...tab, online: false },
      tab,
      tab,
      { ...tab, app: 'closed' },
      tab,
    ],
  }
}

describe.each([
  ['ManualLifecycleSource', manualHarness],
  ['NodeLifecycleSource', nodeHarness],
  ['BrowserLifecycleSource', browserHarness],
])('%s', (name, setup) => {
  runLifecycleSourceConformance(name, setup)
})

describe('ManualLifecycleSource', () => {
  it('validates its initial state, naming the field', () => {
    const bad = { ...phone, platform: 'symbian' } as unknown as LifecycleState
    expect(() => new ManualLifecycleSource(bad)).toThrow(TypeError)
    expect(() => new ManualLifecycleSource(bad)).toThrow('initial.platform')
  })

  it('refuses an update that makes the state invalid, and keeps the old state', () => {
    const source = new ManualLifecycleSource(phone)
    const bad = { app: 'sleeping' } as unknown as Partial<LifecycleState>
    expect(() => source.update(bad)).toThrow(/state\.app/)
    expect(source.current()).toEqual(phone)
  })

  it('does not notify when an optional field is set to its default', () => {
    const source = new ManualLifecycleSource({ ...phone, platform: 'windows' })
    let calls = 0
    source.subscribe(() => calls++)
    source.update({ windowsBackgroundApps: 'power-optimized', batterySaver: false })
    expect(calls).toBe(0)
  })

  it('delivers the newest state last when a listener updates the source', () => {
    const source = new ManualLifecycleSource(phone)
    const seenByLater: LifecycleState['app'][] = []
    source.subscribe((state) => {
      if (state.app === 'background') source.update({ app: 'closed' })
    })
    source.subscribe((state) => seenByLater.push(state.app))
    source.update({ app: 'background' })
    expect(seenByLater).toEqual(['background', 'closed'])
  })

  it('keeps notifying other listeners when one throws', async () => {
    const source = new ManualLifecycleSource(phone)
    const reported = new Promise<unknown>((resolve) => {
      process.once('uncaughtException', resolve)
    })
    source.subscribe(() => {
      throw new Error('listener bug')
    })
    let calls = 0
    source.subscribe(() => calls++)
    source.update({ online: false })
    expect(calls).toBe(1)
    expect(await reported).toEqual(new Error('listener bug'))
  })
})

describe('BrowserLifecycleSource', () => {
  const setup = (configure: (window: FakeBrowserWindow) => void = () => {}) => {
    const window = new FakeBrowserWindow()
    configure(window)
    return { window, source: new BrowserLifecycleSource({ window }) }
  }

  it('starts from document.visibilityState and navigator.onLine', () => {
    const { source } = setup((window) => {
      window.document.visibilityState = 'hidden'
      window.navigator.onLine = false
    })
    expect(source.current()).toEqual({ ...tab, app: 'background', online: false })
  })

  it('treats a frozen page as background until it resumes', () => {
    const { window, source } = setup()
    window.freeze()
    expect(source.current().app).toBe('background')
    window.resume()
    expect(source.current().app).toBe('foreground')
  })

  it('treats a page going into the back/forward cache as background, not closed', () => {
    const { window, source } = setup()
    window.pageHide(true)
    expect(source.current().app).toBe('background')
    window.pageShow()
    expect(source.current().app).toBe('foreground')
  })

  it('treats a page being unloaded as closed', () => {
    const { window, source } = setup()
    window.pageHide(false)
    expect(source.current().app).toBe('closed')
  })

  it('stays in the background while hidden even after resume', () => {
    const { window, source } = setup()
    window.setVisibility('hidden')
    window.freeze()
    window.resume()
    expect(source.current().app).toBe('background')
  })

  it('stops listening to the window on close', () => {
    const { window, source } = setup()
    source.close()
    window.setOnline(false)
    window.setVisibility('hidden')
    expect(source.current()).toEqual(tab)
  })

  it('throws a TypeError when there is no window and none is given', () => {
    expect(() => new BrowserLifecycleSource()).toThrow(TypeError)
  })
})
