import {
  documentStream,
  DocumentStreamReader,
  relayPaths,
  type DocumentRecord,
  type DocumentStreamHeader,
  type FeedBody,
  type ProfileBody,
  type UploadResponse,
  uploaderPeerHeader,
} from '@rowsync/schema'

/** Gives the token to present to the relay; called again when the relay refuses one. */
export type TokenSource = () => string | Promise<string>

/** The relay answered with an error status, or could not be reached. */
export class RelayError extends Error {
  override name = 'RelayError'
  /** The HTTP status, or undefined when the relay was not reached. */
  readonly status: number | undefined

  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options)
    this.status = status
  }
}

/** Receives a document stream: its header first, then each batch of records. */
export interface StreamReceiver {
  header(header: DocumentStreamHeader): void | Promise<void>
  records(records: readonly DocumentRecord[], bytes: number): Promise<void>
}

async function errorOf(response: Response, what: string): Promise<RelayError> {
  let detail = ''
  try {
    const body = (await response.json()) as { error?: unknown }
    if (typeof body.error === 'string') detail = `: ${body.error}`
  } catch {
    // The status says enough.
  }
  return new RelayError(`${what} failed with HTTP ${response.status}${detail}`, response.status)
}

/**
 * The relay's HTTP API as a device uses it (see `relayPaths` in `@rowsync/schema`): the
 * snapshot, the feed, documents by id and uploads, each authenticated with the current token;
 * a request the relay answers with 401 is tried once more with a fresh token.
 */
export class RelayHttp {
  readonly #base: string
  readonly #tokenSource: TokenSource
  #token: Promise<string> | undefined

  /**
   * @param base - the relay's base URL, e.g. `https://relay.example.com`
   * @param token - see {@link TokenSource}
   */
  constructor(base: string, token: TokenSource) {
    this.#base = base.replace(/\/+$/, '')
    this.#tokenSource = token
  }

  /** The current token, asking the token source when there is none. */
  token(): Promise<string> {
    // A failed token source is asked again next time, not remembered.
    this.#token ??= Promise.resolve()
      .then(() => this.#tokenSource())
      .catch((error: unknown) => {
        this.#token = undefined
        throw error
      })
    return this.#token
  }

  /** Forgets the current token, so the next request asks for a fresh one. */
  refreshToken(): void {
    this.#token = undefined
  }

  /** What the user's profile syncs and how often. */
  async profile(signal?: AbortSignal): Promise<ProfileBody> {
    const response = await this.#request(relayPaths.profile, { signal: signal ?? null })
    return (await response.json()) as ProfileBody
  }

  /**
   * One page of the feed.
   * @param since - the cursor
   * @param limit - the most entries
   */
  async feed(since: number, limit: number, signal?: AbortSignal): Promise<FeedBody> {
    const response = await this.#request(`${relayPaths.feed}?since=${since}&limit=${limit}`, {
      signal: signal ?? null,
    })
    return (await response.json()) as FeedBody
  }

  /** Streams the snapshot of every row the user may read into `receiver`. */
  async snapshot(receiver: StreamReceiver, signal?: AbortSignal): Promise<void> {
    const response = await this.#request(relayPaths.snapshot, { signal: signal ?? null })
    await readStream(response, receiver, 'the snapshot')
  }

  /** Streams the named rows the user may read into `receiver`. */
  async documents(
    ids: readonly string[],
    receiver: StreamReceiver,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.#request(relayPaths.documents, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids }),
      signal: signal ?? null,
    })
    await readStream(response, receiver, 'the documents')
  }

  /**
   * Uploads changes; the relay answers for each record.
   * @param peerId - the device's live connection, which the relay then spares the new rows
   */
  async upload(
    records: readonly DocumentRecord[],
    signal?: AbortSignal,
    peerId?: string,
  ): Promise<UploadResponse> {
    const response = await this.#request(relayPaths.upload, {
      method: 'POST',
      headers: {
        'Content-Type': documentStream.contentType,
        ...(peerId === undefined ? {} : { [uploaderPeerHeader]: peerId }),
      },
      body: documentStream.encode(records),
      signal: signal ?? null,
    })
    const body = (await response.json()) as UploadResponse
    if (!Array.isArray(body.results) || body.results.length !== records.length) {
      throw new RelayError(
        `the upload answer holds ${body.results?.length ?? 'no'} results for ${records.length} records`,
        response.status,
      )
    }
    return body
  }

  async #request(path: string, init: RequestInit, retry = true): Promise<Response> {
    const token = await this.token()
    let response: Response
    try {
      response = await fetch(`${this.#base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
      })
    } catch (error) {
      if (init.signal?.aborted) throw error
      const message = error instanceof Error ? error.message : String(error)
      throw new RelayError(`the relay at ${this.#base} is unreachable: ${message}`, undefined, {
        cause: error,
      })
    }
    if (response.status === 401 && retry) {
      this.refreshToken()
      return this.#request(path, init, false)
    }
    if (!response.ok) throw await errorOf(response, `${init.method ?? 'GET'} ${path}`)
    return response
  }
}

/** Records a receiver gets at once: each batch is stored in one durable commit. */
const recordsPerBatch = 500

/** Reads a document stream response, handing records to `receiver` in batches. */
async function readStream(response: Response, receiver: StreamReceiver, what: string) {
  if (!response.body) throw new RelayError(`${what} came without a body`, response.status)
  const reader = new DocumentStreamReader()
  const stream = response.body.getReader()
  let records: DocumentRecord[] = []
  let bytes = 0
  const deliver = async () => {
    if (records.length === 0) return
    const batch = records
    records = []
    const batchBytes = bytes
    bytes = 0
    await receiver.records(batch, batchBytes)
  }
  try {
    for (;;) {
      const { done, value } = await stream.read()
      if (done) break
      for (const item of reader.push(value)) {
        if (item.kind === 'header') await receiver.header(item.header)
        else if (item.kind === 'record') {
          records.push(item.record)
          bytes += item.record.document.byteLength
        }
      }
      if (records.length >= recordsPerBatch) await deliver()
    }
  } finally {
    stream.releaseLock()
  }
  await deliver()
  reader.finish()
}
