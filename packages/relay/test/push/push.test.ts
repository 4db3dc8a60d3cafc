import * as Automerge from '@automerge/automerge'
import {
  documentStream,
  rowsyncPeerMetadata,
  uploaderPeerHeader,
  type RowDocument,
} from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { uploadDocuments } from '../upload/uploadDocuments.ts'
import {
  dana,
  documentIdOf,
  rowDocument,
  rowPath,
  startTestRelay,
  tina,
  tom,
  type TestUser,
} from '../testRelay.ts'
import { joinRawPeer, type RawMessage } from './rawPeer.ts'

// The relay's live push on a real relay on loopback: every accepted change reaches, at once,
// the Rowsync devices whose user may read the row, and nobody else.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup() {
  const relay = await startTestRelay(cleanups)
  const syncUrl = async (user: TestUser) =>
    `${relay.relay.url.replace('http', 'ws')}/sync?token=${await relay.tokenOf(user)}`
  const device = async (user: TestUser, peerId: string, metadata: Record<string, unknown>) =>
    joinRawPeer(await syncUrl(user), peerId, metadata, (close) => cleanups.push(close))
  return { ...relay, device }
}

const isPush = (documentId: string) => (message: RawMessage) =>
  message.type === 'rowsync-changes' && message.documentId === documentId

/** The row document a device holds after applying pushes to what it had. */
function apply(base: Automerge.Doc<RowDocument>, message: RawMessage) {
  return Automerge.loadIncremental(base, message.data as Uint8Array)
}

describe('live push to Rowsync devices', () => {
  it('pushes a change made over the rows API to a device that may read the row', async () => {
    const { as, device } = await setup()
    const phone = await device(tom, 'tom-phone', { ...rowsyncPeerMetadata })
    const documentId = documentIdOf('customers', 'c-1')
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    const created = await phone.waitFor(isPush(documentId))
    expect(created).toMatchObject({ senderId: phone.relayPeerId, targetId: 'tom-phone' })
    let doc = apply(Automerge.init<RowDocument>(), created)
    expect(Automerge.getHeads(doc)).toEqual(created.heads)

    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme Corp' } })
    const edited = await phone.waitFor(
      (message) => isPush(documentId)(message) && message !== created,
    )
    doc = apply(doc, edited)
    expect(Automerge.getHeads(doc)).toEqual(edited.heads)
    expect(String(doc.name)).toBe('Acme Corp')
  })

  it('pushes uploaded rows only to devices whose user may read them', async () => {
    const { as, device } = await setup()
    const tinaTablet = await device(tina, 'tina-tablet', { ...rowsyncPeerMetadata })
    const tomPhone = await device(tom, 'tom-phone', { ...rowsyncPeerMetadata })
    const workOrder = rowDocument('workOrders', 'wo-1', { title: 'Fix valve', technician: 'tina' })
    expect((await uploadDocuments(as(dana), [workOrder])).body.results[0]?.ok).toBe(true)

    const pushed = await tinaTablet.waitFor(isPush(documentIdOf('workOrders', 'wo-1')))
    expect(pushed.heads).toEqual(Automerge.getHeads(workOrder))
    await tomPhone.roundTrip(documentIdOf('customers', 'never-created'))
    expect(tomPhone.messages.filter((message) => message.type === 'rowsync-changes')).toEqual([])
  })

  it("does not push an upload's new rows back to the uploader's own connection", async () => {
    const { as, device } = await setup()
    const laptop = await device(dana, 'dana-laptop', { ...rowsyncPeerMetadata })
    const phone = await device(dana, 'dana-phone', { ...rowsyncPeerMetadata })
    const customer = rowDocument('customers', 'c-2', { name: 'Echo' })
    const body = documentStream.encode([
      { documentId: documentIdOf('customers', 'c-2'), seq: 0, document: Automerge.save(customer) },
    ])
    const response = await as(dana).request('/v1/upload', {
      method: 'POST',
      headers: { 'Content-Type': documentStream.contentType, [uploaderPeerHeader]: 'dana-laptop' },
      body,
    })
    expect(response.status).toBe(200)
    await phone.waitFor(isPush(documentIdOf('customers', 'c-2')))
    await laptop.roundTrip(documentIdOf('customers', 'never-created'))
    expect(laptop.messages.filter((message) => message.type === 'rowsync-changes')).toEqual([])
  })

  it('never pushes to a stock client', async () => {
    const { as, device } = await setup()
    const stock = await device(dana, 'stock-client', {})
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    await stock.roundTrip(documentIdOf('customers', 'never-created'))
    expect(stock.messages.map((message) => message.type)).not.toContain('rowsync-changes')
  })

  it('pushes changes a stock automerge-repo client syncs', async () => {
    const { connect, device } = await setup()
    const phone = await device(tom, 'tom-phone', { ...rowsyncPeerMetadata })
    const documentId = documentIdOf('customers', 'c-1')
    const client = await connect(dana)
    const handle = client.import<RowDocument>(
      Automerge.save(rowDocument('customers', 'c-1', { name: 'Acme' })),
      { docId: documentId },
    )
    let doc = apply(Automerge.init<RowDocument>(), await phone.waitFor(isPush(documentId)))
    expect(String(doc.name)).toBe('Acme')

    handle.change((draft) => {
      draft.name = 'Acme Corp'
    })
    const heads = Automerge.getHeads(handle.doc())
    const edited = await phone.waitFor(
      (message) =>
        isPush(documentId)(message) && JSON.stringify(message.heads) === JSON.stringify(heads),
    )
    doc = apply(doc, edited)
    expect(String(doc.name)).toBe('Acme Corp')
  })
})
