import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LmdbStorageAdapter } from '../../src/storage/LmdbStorageAdapter.ts'
import { committedTransactions } from './fixtures/committedTransactions.ts'
import { crashKey, crashPayload } from './fixtures/crashPayload.ts'

const CYCLES = process.env.CI === undefined ? 20 : 50
/** A cycle is killed once the parent has read this many acknowledgements, at most. */
const MAX_ACKS_BEFORE_KILL = 400
const FIXTURE = fileURLToPath(new URL('./fixtures/lmdbSaveLoop.ts', import.meta.url))
const SEED = Number(process.env.ROWSYNC_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: a small seeded generator, so a failing run replays with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), state | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32
  }
}

/**
 * Runs the save loop in a child process, kills it with SIGKILL as soon as `killAfter`
 * acknowledgements have arrived, and returns every index it acknowledged.
 */
function runUntilKilled(directory: string, cycle: number, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, directory, String(cycle)], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acknowledged: number[] = []
    let pending = ''
    let errors = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (text: string) => {
      const lines = (pending + text).split('\n')
      // A line without its newline yet is not an acknowledgement (yet).
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (line !== 'ready') acknowledged.push(Number(line))
      }
      if (acknowledged.length >= killAfter && child.exitCode === null) child.kill('SIGKILL')
    })
    child.stderr.on('data', (text: string) => {
      errors += text
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged)
      else reject(new Error(`save loop exited with ${code ?? signal} before the kill: ${errors}`))
    })
  })
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return actual !== undefined && Buffer.compare(actual, expected) === 0
}

describe('LmdbStorageAdapter crash durability', () => {
  it(
    `keeps every acknowledged save intact across ${CYCLES} SIGKILL cycles (seed ${SEED})`,
    async ({ onTestFinished }) => {
      const directory = await mkdtemp(join(tmpdir(), 'rowsync-lmdb-crash-'))
      onTestFinished(() => rm(directory, { recursive: true, force: true }))
      const random = seededRandom(SEED)
      const acknowledgedByCycle: number[][] = []
      let transactionsBefore = 0
      let totalAcknowledged = 0
      let totalKept = 0
      let totalTransactions = 0

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const killAfter = 1 + Math.floor(random() * MAX_ACKS_BEFORE_KILL)
        acknowledgedByCycle.push(await runUntilKilled(directory, cycle, killAfter))

        const transactions = await committedTransactions(directory)
        const adapter = await LmdbStorageAdapter.open(directory)
        try {
          // Byte comparison by hand: expect's deep equality costs about 10 µs per byte here.
          const damaged: string[] = []
          for (const [earlierCycle, indices] of acknowledgedByCycle.entries()) {
            for (const index of indices) {
              const loaded = await adapter.load(crashKey(earlierCycle, index))
              if (!sameBytes(loaded, crashPayload(earlierCycle, index))) {
                damaged.push(`acknowledged cycle ${earlierCycle} key ${index}`)
              }
            }
          }
          // Every committed save of this cycle, acknowledged or not, must be intact too.
          const kept = await adapter.loadRange(['keep', String(cycle)])
          for (const { key, data } of kept) {
            if (!sameBytes(data, crashPayload(cycle, Number(key[2])))) {
              damaged.push(`committed ${key.join('/')}`)
            }
          }
          expect(damaged, `seed ${SEED}`).toStrictEqual([])
          const acknowledged = acknowledgedByCycle[cycle]?.length ?? 0
          totalAcknowledged += acknowledged
          totalKept += kept.length
          totalTransactions += transactions - transactionsBefore
          console.log(
            `cycle ${cycle}: killed after ${acknowledged} acknowledged saves; ` +
              `${kept.length} saves committed in ${transactions - transactionsBefore} transactions`,
          )
        } finally {
          await adapter.close()
        }
        transactionsBefore = transactions
      }
      // Every kept save comes with a scratch save and a scratch removal in the same batches.
      console.log(
        `${CYCLES} cycles: ${totalKept} saves committed (${totalAcknowledged} acknowledged) ` +
          `in ${totalTransactions} fsync'd transactions, ` +
          `${(totalKept / Math.max(totalTransactions, 1)).toFixed(1)} saves per fsync`,
      )
    },
    process.env.CI === undefined ? 120_000 : 300_000,
  )
})
