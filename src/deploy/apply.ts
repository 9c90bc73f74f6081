import { createHash } from 'node:crypto';
import type { TenantConfig } from '../config/load.js';
import { readSnapshot } from '../engine/backup.js';
import { collectionUrl, objectUrl, type RawObject } from '../engine/readTenant.js';
import { GraphError, type Attempt, type GraphClient, type GraphResponse, type HttpMethod } from '../graph/types.js';
import type { Logger } from '../log/index.js';
import { planHash, planIntegrityProblems, planSchema, type Plan, type PlanItem } from '../reconcile/plan.js';
import { findResource, resources } from '../resources/catalogue.js';
import { isReadOnlyObject, type ResourceDefinition } from '../resources/definition.js';
import { renderJson, typeFolder } from '../snapshot/index.js';
import { isPlainObject } from '../snapshot/util.js';
import { createWrite, updateWrite, withoutRedacted, type ObjectWrite } from './bodies.js';
import { deployError, ItemStop, readError, writeError } from './errors.js';
import { differingPaths } from './json.js';
import {
  approvalSchema,
  countItems,
  DEPLOY_RECORD_VERSION,
  statusAtEnd,
  writeRecordFile,
  type Approval,
  type DeployError,
  type DeployRecord,
  type RecordItem,
  type RequestRecord,
} from './record.js';
import { applyLevels, groupCommit, ITEMS_AT_ONCE, typesNeeded } from './levels.js';
import { readObject, References, TenantState } from './tenantState.js';

export interface ApplyPlanOptions {
  /** The approved plan (plan.json as parsed); validated here */
  plan: Plan;
  tenant: TenantConfig;
  graph: GraphClient;
  log: Logger;
  /** Where the deploy record is written (incrementally, durably) */
  recordFile: string;
  /** The approval the caller proved; nothing is written without it */
  approval: Approval;
  /** How long a write may take to show when read back (Graph's eventual consistency); default 60 s */
  verifyTimeoutMs?: number;
  /** Stops before the next object (the run was cancelled); the objects not reached stay pending */
  signal?: AbortSignal;
}

export const DEFAULT_VERIFY_TIMEOUT_MS = 60_000;
/** A read-back that differs is read again this many times (replication lag) before the item is unverified */
const MISMATCH_REREADS = 2;
const FIRST_VERIFY_WAIT_MS = 250;
const MAX_VERIFY_WAIT_MS = 5_000;

/**
 * Applies an approved plan to the tenant, object by object: creates and updates in dependency
 * order, then deletes in reverse dependency order. Each object is read again right before it is
 * written and refused as stale when the tenant changed since the plan was made; names are
 * resolved to this tenant's ids; each write is read back and compared with the plan; everything is
 * recorded in `recordFile` as it happens.
 */
export async function applyPlan(options: ApplyPlanOptions): Promise<DeployRecord> {
  const { tenant, graph, log, recordFile } = options;
  const startedAt = new Date().toISOString();

  const refuse = async (planHashValue: string, approval: Approval | null, error: DeployError, items: RecordItem[] = []): Promise<DeployRecord> => {
    const record: DeployRecord = {
      version: DEPLOY_RECORD_VERSION,
      tenant: tenant.name,
      planHash: planHashValue,
      approval,
      startedAt,
      finishedAt: new Date().toISOString(),
      status: 'refused',
      error,
      items,
      counts: countItems(items),
    };
    await writeRecordFile(recordFile, record);
    log.error(`${tenant.name}: the plan was not applied: ${error.message}`);
    return record;
  };

  const parsedApproval = approvalSchema.safeParse(options.approval);
  const parsedPlan = planSchema.safeParse(options.plan);
  const hash = parsedPlan.success ? planHash(parsedPlan.data) : rawHash(options.plan);
  if (!parsedApproval.success) {
    return refuse(
      hash,
      null,
      deployError(
        'DEPLOY_NOT_APPROVED',
        `No approval was given for the plan (${parsedApproval.error.issues.map((i) => `${i.path.join('.') || 'approval'}: ${i.message}`).join('; ')})`,
        'Nothing is written to a tenant without approval: merge the approval pull request, or confirm the plan on the command line.',
      ),
    );
  }
  const approval = parsedApproval.data;
  if (!parsedPlan.success) {
    const issues = parsedPlan.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(plan)'}: ${i.message}`);
    return refuse(
      hash,
      approval,
      deployError('DEPLOY_PLAN_INVALID', `The plan is not valid: ${issues.join('; ')}`, 'Make a new plan with a sync; do not edit plan.json by hand.'),
    );
  }
  const plan = parsedPlan.data;
  const ordered = applyOrder(plan.items);
  // A plan refused whole: every item is recorded as skipped
  const refusePlan = (error: DeployError): Promise<DeployRecord> =>
    refuse(hash, approval, error, ordered.map((item) => ({ ...recordItemOf(item), result: 'skipped' })));
  const tampered = planIntegrityProblems(plan);
  if (tampered.length > 0) {
    return refusePlan(
      deployError('DEPLOY_PLAN_INVALID', `The plan was changed after it was made: ${tampered.slice(0, 5).join('; ')}`, 'Make a new plan with a sync (or tenant-sync plan); do not edit plan.json by hand.'),
    );
  }
  if (plan.tenantId !== undefined && plan.tenantId !== tenant.tenantId) {
    return refusePlan(
      deployError(
        'DEPLOY_WRONG_TENANT',
        `The plan was made for the tenant ${plan.tenantId}, not for ${tenant.name} (${tenant.tenantId})`,
        `Apply a plan only to the tenant it was made for, or make a new plan for ${tenant.name}.`,
      ),
    );
  }
  if (plan.tenant !== tenant.name) {
    return refusePlan(
      deployError(
        'DEPLOY_WRONG_TENANT',
        `The plan was made for tenant '${plan.tenant}', not for '${tenant.name}'`,
        `Apply the plan to the tenant it was made for (${plan.tenant}), or make a new plan for ${tenant.name}.`,
      ),
    );
  }

  const record: DeployRecord = {
    version: DEPLOY_RECORD_VERSION,
    tenant: tenant.name,
    planHash: hash,
    approval,
    startedAt,
    finishedAt: null,
    status: 'running',
    items: ordered.map(recordItemOf),
    counts: countItems([]),
  };
  // Items are applied several at a time, and each asks for the record to be made durable: the
  // requests are grouped, never interleaved. A request waits for a write of the file that starts
  // after it was made, so what the caller changed before asking is on disk when it returns.
  const persist = groupCommit(async () => {
    record.counts = countItems(record.items);
    await writeRecordFile(recordFile, record);
  });
  await persist();
  log.info(
    `${tenant.name}: applying ${ordered.length} change(s) approved by ${approval.kind} ${approval.reference}${approval.approvedBy ? ` (${approval.approvedBy})` : ''}`,
  );

  if (ordered.length > 0) {
    // The fresh read of the plan's types and the types they refer to. Each type joins the state as
    // soon as it is read, so the first changes start while larger types are still being read; a
    // change starts only once its own type and every type it refers to are in.
    const toRead = typesToRead(ordered);
    const state = new TenantState({ tenant: tenant.name, startedAt, types: [] });
    const arrived = new Map<string, () => void>();
    const readyOf = new Map(toRead.map((def) => [def.type, new Promise<void>((resolve) => arrived.set(def.type, resolve))]));
    const reading = readSnapshot({
      tenant: { ...tenant, types: toRead },
      graph,
      log,
      onType: async (type) => {
        state.add(type);
        arrived.get(type.def.type)?.();
      },
    });
    // Awaited below; a record that cannot be written stops the run before that.
    reading.catch(() => undefined);
    const whenRead = (types: readonly string[]): Promise<void> =>
      Promise.race([Promise.all(types.map((t) => readyOf.get(t))).then(() => undefined), reading.then(() => undefined)]);
    const ctx: ItemContext = {
      tenant,
      graph,
      state,
      refs: new References(graph, state),
      verifyTimeoutMs: Math.max(0, options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS),
      persist,
      signal: options.signal,
    };
    let started = 0;
    let stopped: { error: unknown } | undefined;
    const runItem = async (index: number): Promise<void> => {
      const item = ordered[index]!;
      const rec = record.items[index]!;
      let outcome: Outcome;
      try {
        outcome = await applyItem(ctx, item, rec);
      } catch (e) {
        if (e instanceof NotStarted) {
          // Cancelled while it was being checked: nothing was sent, it stays as it was.
          started--;
          rec.id = item.id;
          return;
        }
        if (e instanceof ItemStop) outcome = { result: e.result, error: e.error, message: e.note, differences: e.differences };
        else if (e instanceof RecordWriteError) throw e.cause;
        else outcome = { result: 'failed', error: writeError(findResource(item.type) ?? fallbackDef, fileOf(tenant, item), e, undefined) };
      }
      rec.result = outcome.result;
      if (outcome.error) rec.error = outcome.error;
      if (outcome.message) rec.message = outcome.message;
      if (outcome.differences && outcome.differences.length > 0) rec.differences = outcome.differences;
      await persist();
      const line = `${item.action} ${item.type} '${item.name}': ${rec.result}${rec.error ? ` - ${rec.error.message}` : rec.message ? ` - ${rec.message}` : ''}`;
      if (rec.result === 'applied' || rec.result === 'skipped') log.info(line);
      else if (rec.result === 'unverified' || rec.result === 'stale') log.warn(line);
      else log.error(line);
    };
    // Levels: runs of changes of one type and one action, in apply order. A level starts when the
    // one before it has ended (a policy is created after the filter it names); within a level up to
    // ITEMS_AT_ONCE changes are under way at once, and the Graph client paces their writes to the
    // type's documented write limit.
    for (const level of applyLevels(ordered)) {
      await whenRead(typesNeeded(ordered[level.start]!));
      let next = level.start;
      const worker = async (): Promise<void> => {
        while (!stopped && next < level.end && !options.signal?.aborted) {
          const index = next++;
          started++;
          try {
            await runItem(index);
          } catch (error) {
            stopped ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(ITEMS_AT_ONCE, level.end - level.start) }, worker));
      if (stopped) throw stopped.error;
      if (options.signal?.aborted) {
        log.warn(`${tenant.name}: the run was cancelled; ${ordered.length - started} change(s) were not started.`);
        break;
      }
    }
    // A cancelled run has seconds left: the types still being read are not waited for
    if (!options.signal?.aborted) await reading;
  }

  record.status = statusAtEnd(record.items, options.signal?.aborted === true);
  record.finishedAt = new Date().toISOString();
  await persist();
  const c = record.counts;
  log.info(
    `${tenant.name}: deploy ${record.status}: ${c.applied} applied, ${c.skipped} already as planned, ${c.stale} stale, ${c.failed} failed, ${c.unverified} unverified (${c.requests} write requests)`,
  );
  return record;
}

// ---------------------------------------------------------------------------------------------
// order and bookkeeping

const catalogueIndex = new Map(resources.map((r, i) => [r.type, i]));
const rank = (type: string): number => catalogueIndex.get(type) ?? Number.MAX_SAFE_INTEGER;

/** Creates and updates in dependency (catalogue) order, then deletes in reverse; the plan's order within a type */
export function applyOrder(items: readonly PlanItem[]): PlanItem[] {
  const indexed = items.map((item, position) => ({ item, position }));
  const writes = indexed.filter(({ item }) => item.action !== 'delete').sort((a, b) => rank(a.item.type) - rank(b.item.type) || a.position - b.position);
  const deletes = indexed.filter(({ item }) => item.action === 'delete').sort((a, b) => rank(b.item.type) - rank(a.item.type) || a.position - b.position);
  return [...writes, ...deletes].map(({ item }) => item);
}

/** The plan's types and the catalogue types they refer to, in catalogue order */
function typesToRead(items: readonly PlanItem[]): ResourceDefinition[] {
  const wanted = new Set<string>();
  for (const item of items) {
    const def = findResource(item.type);
    if (!def) continue;
    wanted.add(def.type);
    for (const ref of def.references) if (findResource(ref.target)) wanted.add(ref.target);
  }
  return resources.filter((r) => wanted.has(r.type));
}

function recordItemOf(item: PlanItem): RecordItem {
  return { type: item.type, name: item.name, file: item.file, action: item.action, id: item.id, result: 'pending', requests: [] };
}

function rawHash(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'undefined';
  } catch {
    text = String(value);
  }
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function fileOf(tenant: TenantConfig, item: PlanItem): string {
  const def = findResource(item.type);
  return def ? `${typeFolder(tenant.name, def)}/${item.file}.json` : `${item.type}/${item.file}.json`;
}

const fallbackDef = { permissions: { read: '', write: undefined } } as unknown as ResourceDefinition;

/** The run was cancelled before the change sent anything: it stays pending, as if never reached */
class NotStarted extends Error {}

class RecordWriteError extends Error {
  constructor(override readonly cause: unknown) {
    super('the deploy record could not be written');
  }
}

// ---------------------------------------------------------------------------------------------
// one item

interface ItemContext {
  tenant: TenantConfig;
  graph: GraphClient;
  state: TenantState;
  refs: References;
  verifyTimeoutMs: number;
  persist: () => Promise<void>;
  /** The run was cancelled: a change that has not sent its first write does not start it */
  signal?: AbortSignal;
}

interface Outcome {
  result: 'applied' | 'failed' | 'stale' | 'unverified' | 'skipped';
  error?: DeployError;
  message?: string;
  differences?: string[];
}

async function applyItem(ctx: ItemContext, item: PlanItem, rec: RecordItem): Promise<Outcome> {
  const file = fileOf(ctx.tenant, item);
  const def = findResource(item.type);
  const notSupported = (message: string, fix: string) => new ItemStop('failed', deployError('WRITE_NOT_SUPPORTED', `${file}: ${message}`, fix));
  if (!def) throw notSupported(`'${item.type}' is not a type tenant-sync knows`, 'Remove the file or move it to the folder of a known type.');
  if (!def.write || !def.permissions.write) throw notSupported(`${def.title} cannot be written through Graph`, 'Make this change in the admin center; tenant-sync only backs this type up.');
  const status = ctx.state.readStatus(def.type);
  if (status && !status.ok) {
    throw new ItemStop('failed', deployError('GRAPH_READ_FAILED', `${file}: the tenant's ${def.title.toLowerCase()} could not be read, so nothing was written: ${status.error}`, 'Run the apply again once the type can be read.'));
  }
  for (const obj of [item.before, item.after]) {
    if (obj && isReadOnlyObject(def, obj)) {
      throw new ItemStop(
        'failed',
        deployError('READ_ONLY_OBJECT', `${file}: '${item.name}' is a built-in object, which cannot be changed`, 'Leave built-in objects as they are; copy it under another name to change it.'),
      );
    }
  }
  const step = new ItemSteps(ctx, def, rec, file);
  try {
    if (item.action === 'create') return await applyCreate(ctx, def, item, step);
    if (item.action === 'update') return await applyUpdate(ctx, def, item, step);
    return await applyDelete(ctx, def, item, step);
  } catch (e) {
    if (e instanceof ItemStop || e instanceof RecordWriteError || e instanceof NotStarted) throw e;
    // A read that failed before anything was sent (a lookup of names) is not a write error.
    if (e instanceof GraphError && rec.result !== 'in-progress') throw new ItemStop('failed', readError(file, e, `what '${item.name}' refers to`));
    throw new ItemStop('failed', writeError(def, file, e, step.done), step.notes());
  }
}

/** The writes of one item: marks it in progress before the first, records each one, remembers what was done */
class ItemSteps {
  done: string | undefined;
  private readonly messages: string[] = [];

  constructor(
    private readonly ctx: ItemContext,
    readonly def: ResourceDefinition,
    readonly rec: RecordItem,
    readonly file: string,
  ) {}

  note(message: string): void {
    this.messages.push(message);
  }

  notes(): string | undefined {
    return this.messages.length > 0 ? this.messages.join(' ') : undefined;
  }

  async begin(): Promise<void> {
    if (this.ctx.signal?.aborted) throw new NotStarted();
    this.rec.result = 'in-progress';
    await this.persist();
  }

  async persist(): Promise<void> {
    try {
      await this.ctx.persist();
    } catch (e) {
      throw new RecordWriteError(e);
    }
  }

  async send(method: HttpMethod & ('POST' | 'PATCH' | 'PUT' | 'DELETE'), url: string, body?: unknown): Promise<GraphResponse> {
    const path = url.split('?')[0]!;
    try {
      const response = await this.ctx.graph.request({ method, url, body, bucket: this.def.throttle, signal: this.ctx.signal });
      this.recordTries(method, path, response.tries, { status: response.status, requestId: response.requestId, attempts: response.attempts });
      await this.persist();
      return response;
    } catch (e) {
      if (e instanceof RecordWriteError) throw e;
      const err = e as Partial<GraphError>;
      if (err.code === 'Aborted' && !err.tries?.length && this.rec.requests.length === 0) {
        // Cancelled while waiting for its turn (pacing): nothing went out, the change was not started
        this.rec.result = 'pending';
        await this.persist();
        throw new NotStarted();
      }
      this.recordTries(method, path, err.tries, { status: err.status, requestId: err.requestId, attempts: err.attempts });
      await this.persist();
      throw e;
    }
  }

  /**
   * Every attempt the client sent is a write Graph may have applied (one repeated after a lost
   * answer, a 429 or a 5xx included), one entry each, with the client-request-id it carried
   */
  private recordTries(
    method: RequestRecord['method'],
    path: string,
    tries: readonly Attempt[] | undefined,
    last: { status?: number; requestId?: string; attempts?: number },
  ): void {
    if (tries === undefined) {
      // Never sent (no token, a bad URL), or a client that does not report its attempts
      if (last.attempts !== 0) this.rec.requests.push({ method, path, status: last.status ?? null, requestId: last.requestId ?? null, clientRequestId: null });
      return;
    }
    for (const t of tries) this.rec.requests.push({ method, path, status: t.status, requestId: t.requestId, clientRequestId: t.clientRequestId });
  }

  /** Notes about what the write leaves out */
  describe(write: ObjectWrite): void {
    if (write.dropped.length > 0) {
      this.note(`Not sent, as Graph keeps them secret: ${write.dropped.join(', ')} (set them in the admin center if they must change).`);
    }
    if (write.notWritable.length > 0) {
      this.note(`Cannot be changed after creation, not sent: ${write.notWritable.join(', ')}.`);
    }
  }
}

function targetUrl(def: ResourceDefinition, id: string | null, suffix = ''): string {
  if (def.kind === 'singleton' || id === null) return `${collectionUrl(def)}${suffix ? `/${suffix}` : ''}`;
  return objectUrl(def, id, suffix);
}

async function sendFollowUps(step: ItemSteps, def: ResourceDefinition, id: string | null, write: ObjectWrite): Promise<void> {
  for (const f of write.followUps) {
    await step.send(f.method, targetUrl(def, id, f.suffix), f.body);
    step.done = `${step.done ? `${step.done}; ` : ''}${f.property} ${f.property === def.write?.assignments?.property ? 'assigned' : 'written'}`;
  }
}

async function resolveNames(ctx: ItemContext, def: ResourceDefinition, obj: Record<string, unknown>, step: ItemSteps): Promise<Record<string, unknown>> {
  const resolved = await ctx.refs.resolve(def, obj, step.file);
  if ('error' in resolved) throw new ItemStop('failed', resolved.error);
  return resolved.object;
}

/** The object now, by name: as the plan saw the tenant ('start' names) and as it is now ('current') */
async function readCurrent(ctx: ItemContext, def: ResourceDefinition, id: string | null, file: string, item: PlanItem): Promise<RawObject | undefined> {
  const read = await readObject(ctx.graph, def, id);
  if (read.status === 'failed') throw new ItemStop('failed', readError(file, read.error, `'${item.name}'`));
  return read.status === 'found' ? read.value : undefined;
}

function stale(file: string, message: string, differences?: string[]): ItemStop {
  return new ItemStop(
    'stale',
    deployError('DEPLOY_STALE', `${file}: ${message}`, 'Nothing was written for this object. Run a sync: it shows the tenant as it is now and makes a new plan to approve.'),
    undefined,
    differences,
  );
}

/** The tenant's id of an existing object: from the plan (id map), the file name or the name */
function locate(ctx: ItemContext, def: ResourceDefinition, item: PlanItem): string | null | undefined {
  if (def.kind === 'singleton') return null;
  if (item.id) return item.id;
  if (item.tenantFile) {
    const byFile = ctx.state.idOfFile(def.type, item.tenantFile);
    if (byFile) return byFile;
  }
  const name = item.action === 'update' ? (item.previousName ?? item.name) : item.name;
  const ids = ctx.state.idsNamed(def.type, name);
  return ids.length === 1 ? ids[0] : undefined;
}

/** Checks the object against the version the plan was made from; returns it when they are the same */
async function checkNotStale(ctx: ItemContext, def: ResourceDefinition, item: PlanItem & { action: 'update' | 'delete' }, step: ItemSteps): Promise<string | null> {
  const id = locate(ctx, def, item);
  if (id === undefined) throw stale(step.file, `'${item.name}' is no longer in the tenant`);
  step.rec.id = id;
  const raw = await readCurrent(ctx, def, id, step.file, item);
  if (!raw) throw stale(step.file, `'${item.name}' is no longer in the tenant${id ? ` (id ${id})` : ''}`);
  const atPlan = await ctx.refs.named(def, raw, 'start');
  if (sha256(renderJson(atPlan)) === item.tenantHash) return id;
  if (item.action === 'update') {
    const now = await ctx.refs.named(def, raw, 'current');
    if (renderJson(now) === renderJson(item.after)) {
      throw new ItemStop('skipped', undefined, 'The tenant already has the planned version; nothing was written.');
    }
  }
  throw stale(step.file, `'${item.name}' was changed in the tenant after the plan was made`, differingPaths(item.before, atPlan));
}

async function applyCreate(ctx: ItemContext, def: ResourceDefinition, item: PlanItem & { action: 'create' }, step: ItemSteps): Promise<Outcome> {
  const { file } = step;
  if (def.kind === 'singleton' || !def.write?.create) {
    throw new ItemStop('failed', deployError('WRITE_NOT_SUPPORTED', `${file}: ${def.title} cannot be created`, 'Objects of this type exist in every tenant; change the existing one instead.'));
  }
  // The name must still be free (a create is stale when an object with the name now exists).
  let existing = ctx.state.idsNamed(def.type, item.name);
  if (def.key === def.nameField) {
    // The name is the key: ask Graph now, not only the snapshot.
    const now = await readCurrent(ctx, def, item.name, file, item);
    if (now) existing = [item.name];
  }
  if (existing.length > 0) {
    if (existing.length === 1) {
      const raw = await readCurrent(ctx, def, existing[0]!, file, item);
      if (raw && renderJson(await ctx.refs.named(def, raw, 'current')) === renderJson(item.after)) {
        step.rec.id = existing[0]!;
        throw new ItemStop('skipped', undefined, 'The tenant already has this object as planned; nothing was written.');
      }
    }
    throw stale(file, `an object named '${item.name}' now exists in the tenant (id ${existing.join(', ')})`);
  }

  const resolved = await resolveNames(ctx, def, item.after, step);
  const write = createWrite(def, resolved);
  step.describe(write);
  await step.begin();
  const response = await step.send('POST', `${collectionUrl(def)}${def.write.create.path ? `/${def.write.create.path}` : ''}`, write.main!.body);
  const id = createdId(def, response, item.after);
  step.rec.id = id;
  ctx.state.noteCreated(def.type, id, item.name);
  step.done = `the object was created (id ${id})`;
  await step.persist();
  await sendFollowUps(step, def, id, write);
  return verify(ctx, def, id, item.after, step, true);
}

function createdId(def: ResourceDefinition, response: GraphResponse, after: Record<string, unknown>): string {
  const body = response.body;
  if (isPlainObject(body)) {
    const key = body[def.key];
    if (typeof key === 'string' || typeof key === 'number') return String(key);
  }
  if (def.key === def.nameField && typeof after[def.key] === 'string') return after[def.key] as string;
  const location = response.headers['location'] ?? response.headers['Location'];
  const match = location ? /\/([^/('")]+)'?\)?$/.exec(location) : null;
  if (match?.[1]) return decodeURIComponent(match[1]);
  throw new Error(`Graph created the object but its answer (${response.status}) carries no ${def.key}`);
}

async function applyUpdate(ctx: ItemContext, def: ResourceDefinition, item: PlanItem & { action: 'update' }, step: ItemSteps): Promise<Outcome> {
  const id = await checkNotStale(ctx, def, item, step);
  const resolved = await resolveNames(ctx, def, item.after, step);
  const write = updateWrite(def, item.before, item.after, resolved);
  step.describe(write);
  if (!write.main && write.followUps.length === 0) {
    if (write.notWritable.length > 0) {
      throw new ItemStop(
        'failed',
        deployError('WRITE_NOT_SUPPORTED', `${step.file}: ${write.notWritable.join(', ')} cannot be changed after the object is created`, 'Create a new object with the wanted values (under a new name) and delete this one.'),
      );
    }
    throw new ItemStop('skipped', undefined, step.notes() ?? 'Nothing that an update writes changes; nothing was written.');
  }
  await step.begin();
  if (write.main) {
    const update = def.write!.update;
    await step.send(write.main.method, targetUrl(def, id, update.path), write.main.body);
    step.done = 'the object was updated';
    if (id !== null && item.after[def.nameField] !== item.before[def.nameField]) ctx.state.noteRenamed(def.type, id, item.name);
  }
  await sendFollowUps(step, def, id, write);
  return verify(ctx, def, id, item.after, step, false);
}

async function applyDelete(ctx: ItemContext, def: ResourceDefinition, item: PlanItem & { action: 'delete' }, step: ItemSteps): Promise<Outcome> {
  if (def.kind === 'singleton' || !def.write?.delete) {
    throw new ItemStop('failed', deployError('WRITE_NOT_SUPPORTED', `${step.file}: ${def.title} cannot be deleted`, 'Put the file back, or change the object instead of deleting it.'));
  }
  const id = await checkNotStale(ctx, def, item, step);
  await step.begin();
  await step.send('DELETE', targetUrl(def, id));
  step.done = 'the object was deleted';
  if (id !== null) ctx.state.noteDeleted(def.type, id);
  return verify(ctx, def, id, null, step, false);
}

// ---------------------------------------------------------------------------------------------
// verification

/**
 * Reads the object back and compares it, as a file would hold it, with the plan (redacted values
 * ignored); null expects it gone. Graph is eventually consistent: a 404 right after a create (or a
 * deleted object still found) is read again with backoff until verifyTimeoutMs; a differing
 * object is read again a few times, as replicas may lag.
 */
async function verify(ctx: ItemContext, def: ResourceDefinition, id: string | null, expected: Record<string, unknown> | null, step: ItemSteps, created: boolean): Promise<Outcome> {
  const deadline = Date.now() + ctx.verifyTimeoutMs;
  const want = expected === null ? null : withoutRedacted(def, expected);
  let attempt = 0;
  let rereads = 0;
  for (;;) {
    let problem: string;
    let differences: string[] | undefined;
    let retry = true;
    try {
      const read = await readObject(ctx.graph, def, id);
      if (want === null) {
        if (read.status === 'absent') return applied(step);
        problem = read.status === 'found' ? 'it is still in the tenant when read back' : `reading it back failed: ${read.error.message}`;
      } else if (read.status === 'found') {
        const got = withoutRedacted(def, await ctx.refs.named(def, read.value, 'current'));
        differences = differingPaths(want, got);
        if (differences.length === 0) return applied(step);
        problem = `read back, it differs from the plan at ${differences.join(', ')}`;
        retry = rereads++ < MISMATCH_REREADS;
      } else if (read.status === 'absent') {
        problem = created ? 'it could not be read back (404) after it was created' : 'it could not be read back (404)';
      } else {
        problem = `reading it back failed: ${read.error.message}`;
      }
    } catch (e) {
      problem = `reading it back failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    const wait = Math.min(FIRST_VERIFY_WAIT_MS * 2 ** attempt++, MAX_VERIFY_WAIT_MS);
    if (!retry || Date.now() + wait > deadline) {
      return {
        result: 'unverified',
        error: deployError(
          'DEPLOY_UNVERIFIED',
          `${step.file}: ${step.done ?? 'the write was made'}, but ${problem}`,
          'The next sync backs up the object as the tenant has it and shows any remaining difference; check it in the admin center.',
        ),
        message: step.notes(),
        differences,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function applied(step: ItemSteps): Outcome {
  return { result: 'applied', message: step.notes() };
}
