import { describe, expect, it } from 'vitest';
import { errorCatalogue, frenchErrorCatalogue, translatedError, type ErrorCode } from '../../src/errors/index.js';
import { approvalBody, approvalTitle } from '../../src/github/approvalPullRequest.js';
import { actionsFor } from '../../src/github/checkRun.js';
import { textCatalogues, type Texts } from '../../src/main/texts.js';
import { frenchStatusNames, syncStatuses } from '../../src/status/index.js';
import { frenchTypographyProblems } from '../frenchTypography.js';

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

describe('French typography', () => {
  it('every French text of the catalogue, the approval pull request, the buttons and the status names', () => {
    const texts = (Object.keys(textCatalogues.fr) as (keyof Texts)[]).map((key) => JSON.parse(JSON.stringify(sample(textCatalogues.fr[key] as never))) as unknown);
    const marker = { tenant: 'contoso', planHash: 'a'.repeat(64), head: 'b'.repeat(40) };
    const all = [
      ...texts.flat().map(String),
      approvalBody('## Plan', marker, 'fr'),
      approvalTitle('contoso', { counts: { creates: 1, updates: 2, deletes: 0, conflicts: 1, errors: 2, held: 3, drift: 0 } } as never, 'fr'),
      ...syncStatuses.flatMap((s) => actionsFor(s, 'fr').flatMap((a) => [a.label, a.description])),
      ...Object.values(frenchStatusNames),
    ];
    expect(all.flatMap(frenchTypographyProblems)).toEqual([]);
  });

  it('the check run buttons fit GitHub\'s limits (label 20 characters, description 40)', () => {
    for (const language of ['en', 'fr'] as const) {
      for (const s of syncStatuses) {
        for (const a of actionsFor(s, language)) {
          expect(a.label.length, a.label).toBeLessThanOrEqual(20);
          expect(a.description.length, a.description).toBeLessThanOrEqual(40);
        }
      }
    }
  });
});

describe('the error codes in French', () => {
  const codes = Object.keys(errorCatalogue) as ErrorCode[];

  it('the French catalogue has exactly the codes of errorCatalogue', () => {
    expect(Object.keys(frenchErrorCatalogue).sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s has a French title and a French "what to do", in French typography', (code) => {
    const fr = frenchErrorCatalogue[code];
    expect(fr?.title, `${code} has no French title`).toBeTruthy();
    expect(fr?.fix, `${code} has no French fix`).toBeTruthy();
    expect(fr.title).not.toBe(errorCatalogue[code]);
    // The Entra error codes of the English title stay in the French one
    for (const aadsts of errorCatalogue[code].match(/AADSTS\d+|\b\d{5,}\b/g) ?? []) expect(fr.title).toContain(aadsts);
    expect(frenchTypographyProblems(fr.title)).toEqual([]);
    expect(frenchTypographyProblems(fr.fix)).toEqual([]);
    expect(translatedError(code, 'fr')).toBe(fr);
    expect(translatedError(code, 'en')).toBeUndefined();
  });

  it('a string that is not a code has no translation (the error is shown as it is)', () => {
    expect(translatedError('NOT_A_CODE', 'fr')).toBeUndefined();
    expect(translatedError('toString', 'fr')).toBeUndefined();
  });
});
