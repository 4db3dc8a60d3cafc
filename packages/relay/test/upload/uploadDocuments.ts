import * as Automerge from '@automerge/automerge'
import {
  documentStream,
  type DocumentRecord,
  type RowDocument,
  type UploadResponse,
} from '@rowsync/schema'
import { documentIdOf, type Api } from '../testRelay.ts'

/** Posts bytes to `/v1/upload` as a document stream; the body is JSON (results or an error). */
export async function postUpload(
  api: Api,
  body: Uint8Array,
  contentType = documentStream.contentType,
) {
  const response = await api.request('/v1/upload', {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: body.slice(),
  })
  return {
    status: response.status,
    body: (await response.json()) as UploadResponse & { error?: string },
  }
}

/** Uploads whole row documents (as a device uploads rows it created offline). */
export async function uploadDocuments(api: Api, docs: ReadonlyArray<Automerge.Doc<RowDocument>>) {
  const records: DocumentRecord[] = docs.map((doc) => ({
    documentId: documentIdOf(String(doc._table), String(doc._id)),
    seq: 0,
    document: Automerge.save(doc),
  }))
  return postUpload(api, documentStream.encode(records))
}
