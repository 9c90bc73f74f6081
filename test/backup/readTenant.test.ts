import { describe, expect, it } from 'vitest';
import { configurationPolicies } from '../../src/resources/intune/configurationPolicies.js';
import { defineResource } from '../../src/resources/definition.js';
import { streamType } from '../../src/engine/readTenant.js';
import { GraphError, type GraphClient, type ReadOutcome } from '../../src/graph/types.js';

// A type with a detail read and two child collections (settings catalog policies' shape, plus a
// detail read), to see how the reads of one object are ordered.
const def = defineResource({
  ...configurationPolicies,
  type: 'testPolicies',
  detail: { query: { $select: 'id,name,description' } },
  children: [
    { property: 'settings', path: 'settings', paged: true },
    { property: 'assignments', path: 'assignments', paged: true },
  ],
  references: [],
  dependsOn: [],
});

type Answer = ReadOutcome<unknown>;
const notFound = (): Answer => ({ status: 'absent' });
const failed = (url: string): Answer => ({ status: 'failed', error: new GraphError(`GET ${url} failed: 503`, { status: 503, code: 'ServiceUnavailable', method: 'GET', url, attempts: 5 }) });

/** A Graph client whose detail and child reads wait until the test answers them */
function scriptedGraph(listed: string[], answer: (url: string) => Answer) {
  const asked: string[] = [];
  const waiting: (() => void)[] = [];
  const later = (url: string): Promise<Answer> =>
    new Promise((resolve) => {
      asked.push(url);
      waiting.push(() => resolve(answer(url)));
    });
  const graph = {
    listPages: async (_url: string, onPage: (items: unknown[], page: number) => unknown) => {
      await onPage(
        listed.map((id) => ({ id, name: id })),
        1,
      );
      return { status: 'found' };
    },
    getMany: (urls: string[]) => Promise.all(urls.map(later)),
    listMany: (urls: string[]) => Promise.all(urls.map(later)),
  } as unknown as GraphClient;
  return { graph, asked, answerAll: () => waiting.splice(0).forEach((go) => go()) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('streamType: the reads of one object', () => {
  it('asks for the detail and every child collection at once: one round trip per object, not one per phase', async () => {
    const { graph, asked, answerAll } = scriptedGraph(['a', 'b'], (url) =>
      url.includes('?') ? { status: 'found', value: { id: url.split('/').at(-1)!.split('?')[0], name: 'N', description: 'd' } } : { status: 'found', value: [{ id: '0' }] },
    );
    const objects: unknown[] = [];
    const done = streamType(graph, def, (o) => void objects.push(o));
    await settle();
    // Nothing is answered yet, and all six reads of the two objects are out.
    expect(asked.map((u) => u.replace('/beta/deviceManagement/configurationPolicies/', ''))).toEqual([
      'a?$select=id%2Cname%2Cdescription',
      'a/settings',
      'a/assignments',
      'b?$select=id%2Cname%2Cdescription',
      'b/settings',
      'b/assignments',
    ]);
    answerAll();
    expect((await done).status).toBe('read');
    expect(objects).toEqual([
      { id: 'a', name: 'N', description: 'd', settings: [{ id: '0' }], assignments: [{ id: '0' }] },
      { id: 'b', name: 'N', description: 'd', settings: [{ id: '0' }], assignments: [{ id: '0' }] },
    ]);
  });

  it('an object whose detail is absent (deleted since the list) is gone, whatever its children answered', async () => {
    const { graph, answerAll } = scriptedGraph(['gone', 'kept'], (url) => {
      if (url.includes('/gone')) return url.includes('?') ? notFound() : failed(url);
      return url.includes('?') ? { status: 'found', value: { id: 'kept', name: 'K' } } : { status: 'found', value: [] };
    });
    const objects: { id: string }[] = [];
    const done = streamType(graph, def, (o) => void objects.push(o as { id: string }));
    await settle();
    answerAll();
    expect((await done).status).toBe('read');
    expect(objects.map((o) => o.id)).toEqual(['kept']);
  });

  it('a failed detail is reported before a failed child of the same object (phase order), and fails the type', async () => {
    const { graph, answerAll } = scriptedGraph(['x'], (url) => failed(url));
    const objects: unknown[] = [];
    const done = streamType(graph, def, (o) => void objects.push(o));
    await settle();
    answerAll();
    const end = await done;
    expect(end.status).toBe('failed');
    if (end.status !== 'failed') return;
    expect(end.error.message).toContain('/x?');
    expect(objects).toEqual([]);
  });
});
