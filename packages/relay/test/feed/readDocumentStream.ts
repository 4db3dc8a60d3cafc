import {
  DocumentStreamReader,
  type DocumentRecord,
  type DocumentStreamHeader,
} from '@rowsync/schema'

/**
 * Reads a whole document stream with the client's reader, in chunks as they arrived.
 * @throws DocumentStreamError when the bytes break the format
 */
export function readDocumentStream(chunks: Uint8Array | readonly Uint8Array[]): {
  header: DocumentStreamHeader | undefined
  records: DocumentRecord[]
  complete: boolean
} {
  const reader = new DocumentStreamReader()
  let header: DocumentStreamHeader | undefined
  const records: DocumentRecord[] = []
  for (const chunk of chunks instanceof Uint8Array ? [chunks] : chunks) {
    for (const item of reader.push(chunk)) {
      if (item.kind === 'header') header = item.header
      else if (item.kind === 'record') records.push(item.record)
    }
  }
  return { header, records, complete: reader.ended }
}

/** Reads a response's document stream; the content type must be the stream's. */
export async function readDocumentResponse(response: Response) {
  const bytes = new Uint8Array(await response.arrayBuffer())
  return { contentType: response.headers.get('content-type'), ...readDocumentStream(bytes) }
}
