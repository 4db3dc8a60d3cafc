export { runLifecycleSourceConformance } from './runLifecycleSourceConformance.ts'
export type { LifecycleSourceHarness } from './runLifecycleSourceConformance.ts'
export { FakeBrowserDocument, FakeBrowserWindow } from './FakeBrowserWindow.ts'
