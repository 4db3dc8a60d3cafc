import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { crashSchema } from './fixtures/crashSchema.ts'

// A child process writes rows with eight concurrent writers and prints each acknowledged write;
// it is killed with SIGKILL after a random number of acknowledgements. On restart every
// acknowledged write must be there and every row document must load.

const cycles = process.env.CI ? 50 : 10
const writerScript = fileURLToPath(new URL('./fixtures/crashWriter.ts', import.meta.url))
let directory: string

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'rowsync-crash-'))
})

afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

/** Runs the writer until `acks` writes are acknowledged, then kills it; returns the last seq per row. */
async function writeAndKill(acks: number): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const acknowledged = new Map<string, number>()
  let count = 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, row, seq] = line.split(' ')
    if (word !== 'ack' || !row) continue
    acknowledged.set(row, Number(seq))
    if (++count === acks) {
      child.kill('SIGKILL')
      break
    }
  }
  await exited
  return acknowledged
}

it(`keeps every acknowledged write across ${cycles} SIGKILLs`, async () => {
  const expected = new Map<string, number>()
  for (let cycle = 0; cycle < cycles; cycle++) {
    const acknowledged = await writeAndKill(1 + Math.floor(Math.random() * 300))
    for (const [row, seq] of acknowledged) expected.set(row, seq)

    const storage = await LmdbStorageAdapter.open(directory)
    const db = await openDatabase({ schema: crashSchema, storage, user: 'checker' })
    try {
      for (const [row, seq] of expected) {
        // A write that became durable just before the kill may be newer than its ack.
        expect(db.table('counters').get(row)?.seq, `cycle ${cycle}, ${row}`).toBeGreaterThanOrEqual(
          seq,
        )
      }
      for (const documentId of db.documentIds()) {
        expect(await db.exportDocument(documentId)).toBeInstanceOf(Uint8Array)
      }
    } finally {
      await db.close()
      await storage.close()
    }
  }
})
