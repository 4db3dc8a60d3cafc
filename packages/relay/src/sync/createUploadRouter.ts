import express from 'express'
import type { Request, Response, Router } from 'express'
import {
  DocumentStreamError,
  DocumentStreamReader,
  documentStream,
  relayLimits,
  type DocumentRecord,
  type UploadResponse,
  uploaderPeerHeader,
} from '@rowsync/schema'
import { sendError } from '../http/sendError.ts'
import { userOf } from '../http/userOf.ts'
import type { RowUploader } from './RowUploader.ts'

/** Sizes `POST /v1/upload` accepts; defaults are `relayLimits` of @rowsync/schema. */
export interface UploadLimits {
  readonly bytes: number
  readonly records: number
}

/** Why a body was refused: the status and the message for the client. */
class UploadRefused extends Error {
  override name = 'UploadRefused'
  readonly status: 400 | 413

  constructor(status: 400 | 413, message: string) {
    super(message)
    this.status = status
  }
}

/**
 * Reads the body's document stream as it arrives; rejects with UploadRefused on a bad body (and
 * discards the rest of it, so the answer can still go out).
 */
function readRecords(req: Request, limits: UploadLimits): Promise<DocumentRecord[]> {
  const reader = new DocumentStreamReader(limits.bytes)
  const records: DocumentRecord[] = []
  let received = 0
  const take = (chunk: Buffer): void => {
    received += chunk.byteLength
    if (received > limits.bytes) {
      throw new UploadRefused(413, `the upload is over the limit of ${limits.bytes} bytes`)
    }
    for (const item of reader.push(chunk)) {
      if (item.kind === 'header' && item.header.count > limits.records) {
        throw new UploadRefused(
          413,
          `the upload holds ${item.header.count} records, over the limit of ${limits.records}`,
        )
      }
      if (item.kind === 'record') records.push(item.record)
    }
  }
  return new Promise((resolve, reject) => {
    const stop = (error: unknown): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', stop)
      req.resume()
      reject(
        error instanceof DocumentStreamError
          ? new UploadRefused(400, `the upload is not a valid document stream: ${error.message}`)
          : error instanceof Error
            ? error
            : new Error(String(error)),
      )
    }
    const onData = (chunk: Buffer): void => {
      try {
        take(chunk)
      } catch (error) {
        stop(error)
      }
    }
    const onEnd = (): void => {
      try {
        reader.finish()
        resolve(records)
      } catch (error) {
        stop(error)
      }
    }
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', stop)
  })
}

function refuse(res: Response, status: number, message: string): void {
  // The client may still be sending: do not keep the connection for the rest of its body.
  res.setHeader('Connection', 'close')
  sendError(res, status, message)
}

/**
 * Creates `POST /upload`, to mount under `/v1` behind authentication: the body is a document
 * stream (`documentStream`, Content-Type `application/vnd.rowsync.documents`; 415 otherwise)
 * of row changes, at most `limits.bytes` bytes and `limits.records` records (413 otherwise),
 * read as it arrives; a body that breaks the format answers 400 and applies nothing. Each
 * record is checked and applied on its own (see {@link RowUploader}); the answer
 * (`UploadResponse`) says per record, in order, the relay's heads after it, or why it was
 * refused. It comes once the accepted changes are stored.
 * @param options.uploader - applies the records
 * @param options.limits - default `relayLimits.uploadBytesPerRequest` and
 *   `relayLimits.uploadRecordsPerRequest`
 */
export function createUploadRouter(options: {
  uploader: RowUploader
  limits?: UploadLimits
}): Router {
  const limits = options.limits ?? {
    bytes: relayLimits.uploadBytesPerRequest,
    records: relayLimits.uploadRecordsPerRequest,
  }
  const router = express.Router()

  router.post('/upload', async (req, res) => {
    const contentType = req.headers['content-type']?.split(';')[0]?.trim()
    if (contentType !== documentStream.contentType) {
      refuse(res, 415, `the upload must be a document stream (${documentStream.contentType})`)
      return
    }
    const declared = Number(req.headers['content-length'])
    if (declared > limits.bytes) {
      refuse(res, 413, `the upload is over the limit of ${limits.bytes} bytes`)
      return
    }
    let records: DocumentRecord[]
    try {
      records = await readRecords(req, limits)
    } catch (error) {
      if (!(error instanceof UploadRefused)) throw error
      refuse(res, error.status, error.message)
      return
    }
    const origin = req.headers[uploaderPeerHeader]
    const results = await options.uploader.upload(
      userOf(res),
      records,
      typeof origin === 'string' ? origin : undefined,
    )
    res.json({ results } satisfies UploadResponse)
  })

  return router
}
