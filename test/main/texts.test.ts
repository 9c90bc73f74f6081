import { describe, expect, it } from 'vitest';
import { textCatalogues, type Texts } from '../../src/main/texts.js';

/** Each argument prints as argN in a template and also carries counts (for the plan and deploy lines) */
const sample = (fn: (...args: never[]) => unknown): unknown => {
  const arg = (i: number) =>
    Object.assign(Object.create({ toString: () => `arg${i}` }) as object, { creates: 101, updates: 102, deletes: 103, conflicts: 104, errors: 105, held: 106, drift: 107, applied: 108, failed: 109, stale: 110, unverified: 111, skipped: 112, requests: 113 });
  return (fn as (...a: unknown[]) => unknown)(...Array.from({ length: Math.max(fn.length, 8) }, (_, i) => arg(i)));
};

describe('the lifecycle texts in English and French', () => {
  const keys = Object.keys(textCatalogues.en) as (keyof Texts)[];

  it('both catalogues have the same keys', () => {
    expect(Object.keys(textCatalogues.fr).sort()).toEqual([...keys].sort());
  });

  it.each(keys)('%s: the French text is French, fills every value, and differs from the English one', (key) => {
    const en = JSON.stringify(sample(textCatalogues.en[key] as never));
    const fr = JSON.stringify(sample(textCatalogues.fr[key] as never));
    expect(fr).not.toContain('undefined');
    expect(fr).not.toContain('[object Object]');
    // every argument shown in English is shown in French too
    for (const value of en.match(/arg\d+|\b1[01]\d\b/g) ?? []) expect(fr, `${key} drops ${value}`).toContain(value);
    if (key !== 'fix') expect(fr).not.toBe(en);
  });
});
