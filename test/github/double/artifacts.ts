/**
 * The Actions artifact service as @actions/artifact 6 reaches it:
 *
 * - Twirp JSON at `${ACTIONS_RESULTS_URL}/twirp/github.actions.results.api.v1.ArtifactService/{method}`
 *   (CreateArtifact, FinalizeArtifact, ListArtifacts, GetSignedArtifactURL, DeleteArtifact),
 *   authorised by `Bearer ${ACTIONS_RUNTIME_TOKEN}`. The runtime token is a JWT whose `scp` holds
 *   `Actions.Results:<workflowRunBackendId>:<workflowJobRunBackendId>`; the client decodes it to
 *   name the run and job in every request.
 * - Azure Blob storage behind the signed URL CreateArtifact returns: `PUT ?comp=block&blockid=…`
 *   (Put Block), `PUT ?comp=blocklist` (Put Block List, XML), a plain `PUT` with
 *   `x-ms-blob-type: BlockBlob` (Put Blob) and `GET` (download). The URL's `sig` is checked.
 *
 * Uploaded artifacts are kept as their zip; `unzip()` reads them (stored and deflated entries).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inflateRawSync } from 'node:zlib';

export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';
export const BLOB_PREFIX = '/_blob/';

export interface ArtifactRecord {
  id: number;
  node_id: string;
  name: string;
  /** The GitHub workflow run id (GITHUB_RUN_ID) the artifact belongs to. */
  runId: number;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  mimeType: string;
  /** Set by FinalizeArtifact. */
  finalized: boolean;
  size: number;
  /** "sha256:…" as the client reported it (and the double checked). */
  digest: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  /** The uploaded bytes (the zip, or the raw file with skipArchive). */
  content: Buffer | undefined;
  /** Put Block chunks not yet committed. */
  blocks: Map<string, Buffer>;
  sig: string;
}

export interface RunBackend {
  runId: number;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
}

export class ArtifactService {
  readonly artifacts: ArtifactRecord[] = [];
  /** ACTIONS_RUNTIME_TOKEN → run */
  readonly runtimeTokens = new Map<string, RunBackend>();
  private nextId = 9_000_001;

  constructor(private readonly baseUrl: () => string) {}

  /** A runtime token for a run/job, as the runner hands to steps (ACTIONS_RUNTIME_TOKEN). */
  mintRuntimeToken(runId: number): { token: string; backend: RunBackend } {
    const backend: RunBackend = { runId, workflowRunBackendId: uuidish(), workflowJobRunBackendId: uuidish() };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ typ: 'JWT', alg: 'RS256', x5t: randomBytes(8).toString('hex') })}.${b64({
      scp: `Actions.ExampleScope Actions.Results:${backend.workflowRunBackendId}:${backend.workflowJobRunBackendId}`,
      nbf: now - 5,
      exp: now + 6 * 3600,
      iss: 'vstoken.actions.githubusercontent.com',
      aud: 'vso:actions',
    })}.${randomBytes(32).toString('base64url')}`;
    this.runtimeTokens.set(token, backend);
    return { token, backend };
  }

  async handleTwirp(req: IncomingMessage, res: ServerResponse, method: string, body: Buffer): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const backend = this.runtimeTokens.get(auth.replace(/^Bearer\s+/i, ''));
    if (!backend) return twirpError(res, 401, 'unauthenticated', 'invalid runtime token');
    if (req.method !== 'POST') return twirpError(res, 404, 'bad_route', `no handler for path ${req.url ?? ''}`);
    if (!(req.headers['content-type'] ?? '').includes('application/json')) return twirpError(res, 415, 'bad_route', 'this double speaks Twirp JSON only');
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return twirpError(res, 400, 'malformed', 'the request body is not JSON');
    }
    const runId = String(msg['workflow_run_backend_id'] ?? '');
    const jobId = String(msg['workflow_job_run_backend_id'] ?? '');
    if (runId !== backend.workflowRunBackendId || (method !== 'ListArtifacts' && jobId !== backend.workflowJobRunBackendId)) {
      return twirpError(res, 403, 'permission_denied', 'the backend ids do not match the runtime token');
    }
    const name = typeof msg['name'] === 'string' ? msg['name'] : '';
    const inRun = (a: ArtifactRecord) => a.workflowRunBackendId === backend.workflowRunBackendId;
    switch (method) {
      case 'CreateArtifact': {
        if (!name) return twirpError(res, 400, 'invalid_argument', 'name is required');
        if (msg['version'] !== 4 && msg['version'] !== 7) return twirpError(res, 400, 'invalid_argument', `unsupported version ${String(msg['version'])}`);
        if (this.artifacts.some((a) => inRun(a) && a.name === name && a.finalized)) {
          return twirpError(res, 409, 'already_exists', `an artifact with this name already exists on the workflow run`);
        }
        const now = new Date();
        const expires = typeof msg['expires_at'] === 'string' ? msg['expires_at'] : new Date(now.getTime() + 90 * 86400_000).toISOString();
        const mime = msg['mime_type'];
        const id = this.nextId++;
        const record: ArtifactRecord = {
          id,
          node_id: Buffer.from(`010:Artifact${id}`).toString('base64'),
          name,
          runId: backend.runId,
          workflowRunBackendId: backend.workflowRunBackendId,
          workflowJobRunBackendId: backend.workflowJobRunBackendId,
          mimeType: typeof mime === 'string' ? mime : typeof (mime as { value?: unknown } | undefined)?.value === 'string' ? String((mime as { value: string }).value) : 'application/zip',
          finalized: false,
          size: 0,
          digest: null,
          created_at: iso(now),
          updated_at: iso(now),
          expires_at: iso(new Date(expires)),
          content: undefined,
          blocks: new Map(),
          sig: randomBytes(24).toString('base64url'),
        };
        // Replace an unfinalized attempt with the same name (the client retries CreateArtifact).
        const previous = this.artifacts.findIndex((a) => inRun(a) && a.name === name && !a.finalized);
        if (previous >= 0) this.artifacts.splice(previous, 1);
        this.artifacts.push(record);
        return twirpOk(res, { ok: true, signed_upload_url: this.signedUrl(record, 'racwd') });
      }
      case 'FinalizeArtifact': {
        const record = this.artifacts.find((a) => inRun(a) && a.name === name && !a.finalized);
        if (!record) return twirpError(res, 404, 'not_found', `artifact ${name} not found or already finalized`);
        if (!record.content) return twirpError(res, 400, 'failed_precondition', 'the artifact blob was not uploaded');
        const size = Number(msg['size'] ?? 0);
        if (size !== record.content.length) return twirpError(res, 400, 'invalid_argument', `size ${size} does not match the uploaded ${record.content.length} bytes`);
        const hash = msg['hash'];
        const digest = typeof hash === 'string' ? hash : typeof (hash as { value?: unknown } | undefined)?.value === 'string' ? String((hash as { value: string }).value) : undefined;
        const actual = `sha256:${createHash('sha256').update(record.content).digest('hex')}`;
        if (digest && digest !== actual) return twirpError(res, 400, 'invalid_argument', `hash ${digest} does not match the uploaded content (${actual})`);
        record.finalized = true;
        record.size = size;
        record.digest = actual;
        record.updated_at = iso(new Date());
        return twirpOk(res, { ok: true, artifact_id: String(record.id) });
      }
      case 'ListArtifacts': {
        const filter = msg['name_filter'];
        const nameFilter = typeof filter === 'string' ? filter : (filter as { value?: string } | undefined)?.value;
        const idFilter = msg['id_filter'];
        const idValue = typeof idFilter === 'string' ? idFilter : (idFilter as { value?: string } | undefined)?.value;
        const list = this.artifacts.filter((a) => inRun(a) && a.finalized && (!nameFilter || a.name === nameFilter) && (!idValue || String(a.id) === String(idValue)));
        return twirpOk(res, {
          artifacts: list.map((a) => ({
            workflow_run_backend_id: a.workflowRunBackendId,
            workflow_job_run_backend_id: a.workflowJobRunBackendId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: a.created_at,
            ...(a.digest ? { digest: a.digest } : {}),
          })),
        });
      }
      case 'GetSignedArtifactURL': {
        const record = this.artifacts.find((a) => inRun(a) && a.name === name && a.finalized);
        if (!record) return twirpError(res, 404, 'not_found', `artifact ${name} not found`);
        return twirpOk(res, { signed_url: this.signedUrl(record, 'r') });
      }
      case 'DeleteArtifact': {
        const i = this.artifacts.findIndex((a) => inRun(a) && a.name === name && a.finalized);
        const record = this.artifacts[i];
        if (!record) return twirpError(res, 404, 'not_found', `artifact ${name} not found`);
        this.artifacts.splice(i, 1);
        return twirpOk(res, { ok: true, artifact_id: String(record.id) });
      }
      default:
        return twirpError(res, 404, 'bad_route', `no handler for ${method}`);
    }
  }

  /** An Azure-style SAS URL: /_blob/<account>/<container>/<blob>?sv=…&se=…&sr=b&sp=…&sig=… */
  signedUrl(record: ArtifactRecord, permissions: string): string {
    const u = new URL(`${BLOB_PREFIX}actionsresults/${record.workflowRunBackendId}/${record.workflowJobRunBackendId}/${encodeURIComponent(record.name)}-${record.id}.zip`, this.baseUrl());
    u.searchParams.set('sv', '2023-11-03');
    u.searchParams.set('se', new Date(Date.now() + 3600_000).toISOString());
    u.searchParams.set('sr', 'b');
    u.searchParams.set('sp', permissions);
    u.searchParams.set('sig', record.sig);
    return u.toString();
  }

  /** Blob storage: the signed URLs. */
  async handleBlob(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const record = this.artifacts.find((a) => url.searchParams.get('sig') === a.sig);
    if (!record) return blobError(res, 403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.');
    const comp = url.searchParams.get('comp');
    const headers = { 'x-ms-request-id': randomBytes(16).toString('hex'), 'x-ms-version': '2023-11-03', 'last-modified': new Date().toUTCString(), etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"` };
    if (req.method === 'PUT' && comp === 'block') {
      const id = url.searchParams.get('blockid');
      if (!id) return blobError(res, 400, 'InvalidQueryParameterValue', 'blockid is required');
      if (record.finalized) return blobError(res, 409, 'BlobImmutable', 'the artifact is finalized');
      record.blocks.set(id, body);
      res.writeHead(201, { ...headers, 'content-md5': createHash('md5').update(body).digest('base64'), 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
      res.end();
      return;
    }
    if (req.method === 'PUT' && comp === 'blocklist') {
      const xml = body.toString('utf8');
      const ids = [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2] ?? '');
      const parts: Buffer[] = [];
      for (const id of ids) {
        const block = record.blocks.get(id);
        if (!block) return blobError(res, 400, 'InvalidBlockList', `The specified block list is invalid (block ${id}).`);
        parts.push(block);
      }
      record.content = Buffer.concat(parts);
      record.blocks.clear();
      res.writeHead(201, { ...headers, 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
      res.end();
      return;
    }
    if (req.method === 'PUT' && !comp) {
      if ((req.headers['x-ms-blob-type'] ?? '') !== 'BlockBlob') return blobError(res, 400, 'MissingRequiredHeader', 'x-ms-blob-type is required');
      record.content = body;
      res.writeHead(201, { ...headers, 'content-md5': createHash('md5').update(body).digest('base64'), 'x-ms-request-server-encrypted': 'true', 'content-length': '0' });
      res.end();
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && !comp) {
      if (!record.content) return blobError(res, 404, 'BlobNotFound', 'The specified blob does not exist.');
      res.writeHead(200, { ...headers, 'content-type': record.mimeType, 'content-length': String(record.content.length), 'x-ms-blob-type': 'BlockBlob' });
      res.end(req.method === 'GET' ? record.content : undefined);
      return;
    }
    return blobError(res, 400, 'UnsupportedHttpVerb', `${req.method ?? ''} ${comp ?? ''} is not supported by the double`);
  }
}

function uuidish(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function twirpOk(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Twirp's error body: { code, msg } (the client shows `msg`). */
function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, msg }));
}

function blobError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Reads a zip file (central directory; stored and deflated entries, no zip64): path → bytes. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    p += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLength + localExtraLength;
    const data = zip.subarray(start, start + compressedSize);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`zip entry ${name}: compression method ${method} not supported`);
  }
  return files;
}
