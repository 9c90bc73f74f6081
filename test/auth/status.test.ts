/** The statuses, their French names, the legal moves and the check run of each (design.md's table) */
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  checkRunConclusionSchema,
  checkRunFor,
  checkRunStatusSchema,
  createStatusTracker,
  finalStatus,
  IllegalTransitionError,
  statusName,
  syncStatuses,
  syncStatusSchema,
  type SyncStatus,
} from '../../src/status/index.js';

describe('statuses', () => {
  it('are the nine of the design, named exactly as it writes them, in English and French', () => {
    expect(syncStatuses).toEqual([
      'Not run',
      'Starting',
      'In progress',
      'Pending authentication',
      'Pending approval',
      'Idle',
      'Partially successful',
      'New error',
      'Pending admin consent',
    ]);
    expect(syncStatuses.map((s) => statusName(s, 'fr'))).toEqual([
      'Non exécuté',
      'Démarrage',
      'En cours',
      'Authentification en attente',
      'Approbation en attente',
      'Inactif',
      'Partiellement réussi',
      'Nouvelle erreur',
      'Consentement administrateur en attente',
    ]);
    expect(statusName('Idle')).toBe('Idle');
    expect(syncStatusSchema.safeParse('idle').success).toBe(false);
  });

  it('map to the check run of the design\'s table', () => {
    const table: Record<SyncStatus, [string, string | undefined] | undefined> = {
      'Not run': undefined,
      Starting: ['queued', undefined],
      'In progress': ['in_progress', undefined],
      'Pending authentication': ['in_progress', undefined],
      'Pending approval': ['completed', 'action_required'],
      Idle: ['completed', 'success'],
      'Partially successful': ['completed', 'neutral'],
      'New error': ['completed', 'failure'],
      'Pending admin consent': ['completed', 'action_required'],
    };
    for (const status of syncStatuses) {
      const run = checkRunFor(status);
      const expected = table[status];
      if (!expected) {
        expect(run).toBeUndefined();
        continue;
      }
      expect(run?.status).toBe(expected[0]);
      expect(checkRunStatusSchema.parse(run?.status)).toBe(expected[0]);
      expect(run && 'conclusion' in run ? checkRunConclusionSchema.parse(run.conclusion) : undefined).toBe(expected[1]);
    }
  });
});

describe('moves', () => {
  it('a sync: Not run or a final status, Starting, In progress, Pending authentication and back, a final status', () => {
    const legal: [SyncStatus, SyncStatus][] = [
      ['Not run', 'Starting'],
      ['Starting', 'In progress'],
      ['In progress', 'Pending authentication'],
      ['Pending authentication', 'In progress'],
      ['In progress', 'Idle'],
      ['In progress', 'Pending approval'],
      ['In progress', 'Partially successful'],
      ['In progress', 'New error'],
      ['In progress', 'Pending admin consent'],
      ['Starting', 'New error'],
      ['Starting', 'Pending admin consent'],
      ['Pending authentication', 'New error'],
      ['Idle', 'Starting'],
      ['Pending approval', 'Starting'],
      ['Partially successful', 'Starting'],
      ['New error', 'Starting'],
      ['Pending admin consent', 'Starting'],
    ];
    for (const [from, to] of legal) expect(canTransition(from, to), `${from} -> ${to}`).toBe(true);
    const illegal: [SyncStatus, SyncStatus][] = [
      ['Not run', 'Idle'],
      ['Not run', 'In progress'],
      ['Idle', 'In progress'],
      ['Idle', 'Idle'],
      ['Pending authentication', 'Idle'],
      ['Pending authentication', 'Partially successful'],
      ['Starting', 'Pending authentication'],
      ['Pending approval', 'Idle'],
      ['New error', 'Idle'],
    ];
    for (const [from, to] of illegal) expect(canTransition(from, to), `${from} -> ${to}`).toBe(false);
  });

  it('the tracker tells its listener every move and refuses an illegal one', async () => {
    const seen: string[] = [];
    const tracker = createStatusTracker('Idle', (s, d) => {
      seen.push(`${s}${d.deviceCode ? ` ${d.deviceCode.userCode}` : ''}`);
    });
    await tracker.move('Starting');
    await tracker.move('In progress');
    await tracker.move('Pending authentication', { deviceCode: { verificationUri: 'https://microsoft.com/devicelogin', userCode: 'ABCD1234', waitUntil: new Date(0).toISOString() } });
    await expect(tracker.move('Idle')).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(tracker.current).toBe('Pending authentication');
    await tracker.move('In progress');
    await tracker.move('Idle');
    expect(seen).toEqual(['Starting', 'In progress', 'Pending authentication ABCD1234', 'In progress', 'Idle']);
    expect(tracker.history.map((h) => h.status)).toEqual(['Idle', 'Starting', 'In progress', 'Pending authentication', 'In progress', 'Idle']);
  });

  it('the final status of an outcome', () => {
    expect(finalStatus({})).toBe('Idle');
    expect(finalStatus({ pendingApproval: true })).toBe('Pending approval');
    expect(finalStatus({ failedTypes: 1, pendingApproval: true })).toBe('Partially successful');
    expect(finalStatus({ failedTypes: 1, consentPending: true })).toBe('Pending admin consent');
    expect(finalStatus({ error: { code: 'AUTH_BAD_SECRET', message: '' } })).toBe('New error');
    expect(finalStatus({ error: { code: 'AUTH_CONSENT_MISSING', message: '' } })).toBe('Pending admin consent');
  });
});
