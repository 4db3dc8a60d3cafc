import { randomBytes } from 'node:crypto'
import * as Automerge from '@automerge/automerge'
import { generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentIdOf, rowDocument } from '../../packages/relay/test/testRelay.ts'
import {
  ada,
  api,
  dana,
  isHealthy,
  spawnRelay,
  stopRelay,
  temporaryDirectory,
  tina,
  tokenFor,
  tom,
  writeConfig,
  type RelayProcess,
} from './relayProcess.ts'
import { fetchDocument, requestData, syncMessageFrom, syncMessageWith, WireClient } from './wire.ts'

// Attacks on a real relay process, checked on the wire: each is refused, and no byte the
// attacker receives (WebSocket frames, HTTP bodies) holds the victim's marker. The marker
// check is shown to work by a reader who may see the row receiving it the same way.

const allowedOrigin = 'https://app.rowsync.example'
const marker = `VICTIM-${randomBytes(6).toString('hex')}`
const victimRow = { table: 'workOrders', id: 'wo-victim' }
const victimDocumentId = documentIdOf(victimRow.table, victimRow.id)
const victimPath = `/v1/tables/${victimRow.table}/rows/${victimRow.id}`

let relay: RelayProcess
let removeDirectory: () => Promise<void>
const openClients: WireClient[] = []

beforeAll(async () => {
  const { directory, remove } = await temporaryDirectory('rowsync-attacks-')
  removeDirectory = remove
  const configFile = await writeConfig(directory, { origins: [allowedOrigin] })
  relay = await spawnRelay(directory, { configFile })
  const created = await api(relay, dana, 'PUT', victimPath, {
    values: { title: `Fix pump ${marker}`, technician: 'tina' },
  })
  expect(created.status).toBe(201)
  expect(
    (
      await api(relay, dana, 'PUT', '/v1/tables/customers/rows/c-1', {
        values: { name: 'Acme' },
      })
    ).status,
  ).toBe(201)
})

afterAll(async () => {
  for (const client of openClients) client.stop()
  const running = relay.isRunning()
  const errors = relay.errorLogs()
  await stopRelay(relay, 'SIGTERM')
  await removeDirectory()
  expect(running, 'the relay exited during the attacks').toBe(true)
  expect(errors, 'the relay logged errors').toStrictEqual([])
})

async function joined(user: typeof tom, peerId = `${user.id}-${randomBytes(4).toString('hex')}`) {
  const client = await WireClient.joined(relay.syncUrl, user, peerId)
  openClients.push(client)
  return client
}

async function joinedAs(user: typeof tom) {
  const peerId = `${user.id}-${randomBytes(4).toString('hex')}`
  return joined(user, peerId)
}

function expectNoMarker(bytes: Buffer | string, what: string) {
  expect(Buffer.from(bytes).includes(marker), `${what} holds the victim's marker`).toBe(false)
}

async function victimTitle() {
  const row = await api(relay, dana, 'GET', victimPath)
  return (JSON.parse(row.text) as { values: { title: string } }).values.title
}

describe('the marker check', () => {
  it('sees the victim row in the bytes a permitted reader receives', async () => {
    const tinaClient = await joinedAs(tina)
    const doc = await fetchDocument(tinaClient, victimDocumentId)
    expect(String(doc.title)).toContain(marker)
    expect(tinaClient.bytes().includes(marker)).toBe(true)
  })
})

describe('reading another user’s row', () => {
  it('by document id over sync gets doc-unavailable and none of its bytes', async () => {
    const attacker = await joinedAs(tom)
    const answer = await attacker.exchange('request', victimDocumentId, requestData())
    expect(answer).not.toBe('closed')
    expect((answer as { type: string }).type).toBe('doc-unavailable')
    await attacker.roundTrip()
    expectNoMarker(attacker.bytes(), 'the sync answer')
  })

  it('over the HTTP API gets 403, and the feed and snapshot leave it out', async () => {
    const row = await api(relay, tom, 'GET', victimPath)
    expect(row.status).toBe(403)
    expectNoMarker(row.text, 'GET row')
    for (const path of ['/v1/feed', '/v1/snapshot', '/v1/tables/workOrders/rows']) {
      const response = await api(relay, tom, 'GET', path)
      expect(response.status, path).toBe(200)
      expectNoMarker(response.text, path)
    }
  })
})

describe('writing another user’s row', () => {
  it('over sync, from the row skeleton every device writes, is refused', async () => {
    const attacker = await joinedAs(tom)
    // Tom cannot read the row, but its first change is deterministic (rowSkeleton).
    const forged = rowDocument(victimRow.table, victimRow.id, { title: 'Taken', technician: 'tom' })
    const answer = await attacker.exchange(
      'sync',
      victimDocumentId,
      syncMessageWith([Automerge.save(forged)], Automerge.getHeads(forged)),
    )
    expect(answer).not.toBe('closed')
    expect((answer as { type: string }).type).toBe('error')
    await attacker.roundTrip()
    expectNoMarker(attacker.bytes(), 'the answers to the forged write')
    expect(await victimTitle()).toContain(marker)
  })

  it('over the HTTP API is refused with 403', async () => {
    const put = await api(relay, tom, 'PUT', victimPath, { values: { title: 'Taken' } })
    expect(put.status).toBe(403)
    expectNoMarker(put.text, 'PUT answer')
    const deleted = await api(relay, tom, 'DELETE', victimPath)
    expect(deleted.status).toBe(403)
    expectNoMarker(deleted.text, 'DELETE answer')
    expect(await victimTitle()).toContain(marker)
  })
})

describe('a reader writing', () => {
  it('changes a row it may read over sync and is refused', async () => {
    const reader = await joinedAs(ada)
    const documentId = documentIdOf('customers', 'c-1')
    const doc = await fetchDocument(reader, documentId)
    const changed = Automerge.change(Automerge.clone(doc), (draft) => {
      draft.name = new Automerge.ImmutableString('Taken')
    })
    const refusal = reader.nextOrClosed(
      (message) => message.documentId === documentId && message.type === 'error',
    )
    reader.send({
      type: 'sync',
      senderId: reader.peerId,
      targetId: reader.relayPeerId,
      documentId,
      data: syncMessageFrom(doc, changed),
    })
    expect((await refusal) === 'closed' ? 'closed' : 'error').toBe('error')
    const row = await api(relay, dana, 'GET', '/v1/tables/customers/rows/c-1')
    expect((JSON.parse(row.text) as { values: { name: string } }).values.name).toBe('Acme')
    expect(
      (
        await api(relay, ada, 'PUT', '/v1/tables/customers/rows/c-1', {
          values: { name: 'Taken' },
        })
      ).status,
    ).toBe(403)
  })
})

describe('peer-id takeover', () => {
  it('joining with a peer id another user holds is refused, and the holder keeps it', async () => {
    const peerId = `tina-${randomBytes(4).toString('hex')}`
    const holder = await joined(tina, peerId)
    const attacker = await WireClient.open(relay.syncUrl, await tokenFor(tom))
    if (!(attacker instanceof WireClient)) throw new Error('upgrade refused')
    openClients.push(attacker)
    const answer = await attacker.join(peerId)
    expect(answer.type === 'closed' || answer.type === 'error').toBe(true)
    // The holder still gets the row it may read; the attacker got none of it.
    expect(String((await fetchDocument(holder, victimDocumentId)).title)).toContain(marker)
    await attacker.roundTrip()
    expectNoMarker(attacker.bytes(), 'the takeover answers')
  })

  it('sending as another peer id from one’s own socket is dropped unanswered', async () => {
    const peerId = `tina-${randomBytes(4).toString('hex')}`
    const holder = await joined(tina, peerId)
    const attacker = await joinedAs(tom)
    attacker.send({
      type: 'request',
      senderId: peerId,
      targetId: attacker.relayPeerId,
      documentId: victimDocumentId,
      data: requestData(),
    })
    await attacker.roundTrip()
    // The relay answers the holder's own request normally after the spoofed one.
    expect(String((await fetchDocument(holder, victimDocumentId)).title)).toContain(marker)
    await attacker.roundTrip()
    expect(attacker.messages.filter((message) => message.documentId === victimDocumentId)).toEqual(
      [],
    )
    expectNoMarker(attacker.bytes(), 'the spoofing socket')
  })
})

/** A token of `alg: none` claiming to be dana. */
function unsignedToken() {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'dana', roles: ['dispatcher'], iat: now, exp: now + 3600 })}.`
}

describe('tokens', () => {
  const badTokens: Array<[string, () => Promise<string | undefined>]> = [
    ['missing', () => Promise.resolve(undefined)],
    ['expired', () => tokenFor(dana, { expiresInSeconds: -120 })],
    ['forged with another secret', () => tokenFor(dana, { secret: 'x'.repeat(40) })],
    ['unsigned (alg none)', () => Promise.resolve(unsignedToken())],
    ['garbage', () => Promise.resolve('not.a.token')],
  ]

  it.each(badTokens)('%s: the sync upgrade is refused with 401', async (_name, makeToken) => {
    const result = await WireClient.open(relay.syncUrl, await makeToken())
    if (result instanceof WireClient) {
      openClients.push(result)
      throw new Error('the upgrade was accepted')
    }
    expect(result.refused).toBe(401)
    expectNoMarker(result.body, 'the refusal')
  })

  it.each(badTokens)('%s: the HTTP API answers 401', async (_name, makeToken) => {
    const token = await makeToken()
    for (const path of [victimPath, '/v1/feed', '/v1/snapshot']) {
      const response = await fetch(`${relay.url}${path}`, {
        headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      })
      expect(response.status, path).toBe(401)
      expectNoMarker(await response.text(), path)
    }
  })
})

describe('origin', () => {
  it('a sync upgrade from an origin not allowed is refused with 403; an allowed one opens', async () => {
    const token = await tokenFor(dana)
    const refused = await WireClient.open(relay.syncUrl, token, { Origin: 'https://evil.example' })
    expect(refused instanceof WireClient ? 'open' : refused.refused).toBe(403)
    const allowed = await WireClient.open(relay.syncUrl, token, { Origin: allowedOrigin })
    expect(allowed).toBeInstanceOf(WireClient)
    if (allowed instanceof WireClient) allowed.stop()
  })

  it('an HTTP call from an origin not allowed is refused with 403', async () => {
    const response = await fetch(`${relay.url}${victimPath}`, {
      headers: { Authorization: `Bearer ${await tokenFor(dana)}`, Origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
    expectNoMarker(await response.text(), 'the refusal')
  })
})

describe('a flood of requests for random document ids', () => {
  it(`is cut off after limits.unknownDocumentsPerMinute (60) unknown ids`, async () => {
    const attacker = await joinedAs(tom)
    const ids = Array.from(
      { length: 150 },
      () => parseAutomergeUrl(generateAutomergeUrl()).documentId,
    )
    const answers = ids.map((documentId) => attacker.exchange('request', documentId, requestData()))
    const settled = await Promise.all(answers)
    const counts = new Map<string, number>()
    for (const answer of settled) {
      const kind = answer === 'closed' ? 'closed' : String(answer.type)
      counts.set(kind, (counts.get(kind) ?? 0) + 1)
    }
    // Answers other than a refusal mean the relay looked the id up (and may hold state for it).
    const served = settled.filter((answer) => answer !== 'closed' && answer.type !== 'error').length
    expectNoMarker(attacker.bytes(), 'the flood answers')
    expect(await isHealthy(relay)).toBe(true)
    // An honest reader is still served.
    const reader = await joinedAs(tina)
    expect(String((await fetchDocument(reader, victimDocumentId)).title)).toContain(marker)
    expect(
      served,
      'unknown document ids the relay looked up for one peer in a minute',
    ).toBeLessThanOrEqual(60)
  })
})

describe('oversized input', () => {
  it('a frame above limits.maxFrameBytes (1 MiB) closes the socket with 1009', async () => {
    const attacker = await joinedAs(tom)
    attacker.send(new Uint8Array(1024 * 1024 + 1))
    expect((await attacker.closed).code).toBe(1009)
    expectNoMarker(attacker.bytes(), 'the answers')
    expect(await isHealthy(relay)).toBe(true)
  })

  it('a sync message with a document above the frame limit closes the socket with 1009', async () => {
    const attacker = await joinedAs(tom)
    const huge = rowDocument('workOrders', 'wo-huge', {
      title: 'Huge',
      technician: 'tom',
      description: randomBytes(1_200_000).toString('base64'),
    })
    const answer = await attacker.exchange(
      'sync',
      documentIdOf('workOrders', 'wo-huge'),
      syncMessageWith([Automerge.save(huge)], Automerge.getHeads(huge)),
    )
    expect(answer).toBe('closed')
    expect((await attacker.closed).code).toBe(1009)
    expect((await api(relay, dana, 'GET', '/v1/tables/workOrders/rows/wo-huge')).status).toBe(404)
  })

  it('an HTTP body above the JSON limit (100 KiB) is refused with 413', async () => {
    const put = await api(relay, dana, 'PUT', '/v1/tables/customers/rows/c-huge', {
      values: { name: 'x'.repeat(200 * 1024) },
    })
    expect(put.status).toBe(413)
    expect((await api(relay, dana, 'GET', '/v1/tables/customers/rows/c-huge')).status).toBe(404)
  })
})
