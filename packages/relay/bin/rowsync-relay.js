#!/usr/bin/env node
// Runs the relay from its TypeScript source: tsx compiles it on load, so no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
