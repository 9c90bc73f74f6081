import { translatedError } from '../errors/index.js';
import type { Language } from '../status/index.js';
import { textsFor } from './texts.js';

/**
 * An error as a person reads it in the report (check run, job summary, report.md), the annotations
 * and the pull request comments. In English, exactly as the error says it. In another language, its
 * code's title and generic "what to do" in that language (errors/messages.fr.ts), and the error's
 * own message and specific fix verbatim as the technical detail: they are English and carry
 * Graph's or Entra's words, which a person may search for or send to support.
 */

interface ShownError {
  code: string;
  message: string;
  fix?: string;
}

/** A table cell's or a line's text for the error: `CODE: message`, or `CODE : <title> — message` */
export function errorLine(error: ShownError, language: Language): string {
  const translated = translatedError(error.code, language);
  if (!translated) return `${error.code}: ${error.message}`;
  return `${error.code}${textsFor(language).colon()} ${translated.title} — ${error.message}`;
}

/** What went wrong in one phrase: the error's message in English, its code's title otherwise */
export function errorSummary(error: ShownError | undefined, language: Language): string {
  if (!error) return '';
  const translated = translatedError(error.code, language);
  return translated ? `${translated.title} (${error.code})` : error.message;
}

/** The lines "What to do" for the codes given (each once), in another language than English; none in English */
export function fixLines(codes: readonly (string | undefined)[], language: Language): string[] {
  const t = textsFor(language);
  const fixes = new Map<string, string>();
  for (const code of codes) {
    const translated = code ? translatedError(code, language) : undefined;
    if (code && translated) fixes.set(code, translated.fix);
  }
  if (fixes.size === 0) return [];
  return [`**${t.whatToDo()}${t.colon()}**`, '', ...[...fixes].map(([code, fix]) => `- \`${code}\`${t.colon()} ${fix}`), ''];
}

/** The error's own text as a fenced block: its message (after the code when given) and its specific fix */
function technicalBlock(error: ShownError, withCode: boolean): string[] {
  return ['```', withCode ? `${error.code}: ${error.message}` : error.message, ...(error.fix ? [`Fix: ${error.fix}`] : []), '```'];
}

/**
 * The error in the report: in English the block `CODE: message` / `Fix: fix` as before; in another
 * language its title, what to do, then the block labelled as the technical detail. Then the link
 * to its troubleshooting page.
 */
export function errorReportLines(error: ShownError & { docs: string }, language: Language): string[] {
  const t = textsFor(language);
  const translated = translatedError(error.code, language);
  const page = `[${t.troubleshooting()}${t.colon()} ${error.code}](${error.docs})`;
  if (!translated) return ['```', `${error.code}: ${error.message}`, `${t.fix()}${t.colon()} ${error.fix}`, '```', page, ''];
  return [
    `**${translated.title}** (\`${error.code}\`)`,
    '',
    `**${t.whatToDo()}${t.colon()}** ${translated.fix}`,
    '',
    `${t.technicalDetail()}${t.colon()}`,
    ...technicalBlock(error, true),
    page,
    '',
  ];
}

/** After a deploy that failed as a whole, in another language: what to do and the technical detail; nothing in English */
export function deployErrorLines(error: ShownError | undefined, language: Language): string[] {
  const translated = error && translatedError(error.code, language);
  if (!error || !translated) return [];
  const t = textsFor(language);
  return ['', `**${t.whatToDo()}${t.colon()}** ${translated.fix}`, '', `${t.technicalDetail()}${t.colon()}`, ...technicalBlock(error, false)];
}

/**
 * An annotation's message: `detail` in English; in another language, the title (and `note`, what it
 * meant for the files), what to do, then `technical` (the error's own words) as the technical detail
 */
export function explained(code: string | undefined, language: Language, texts: { detail: string; technical: string; note?: string }): string {
  const translated = code ? translatedError(code, language) : undefined;
  if (!translated) return texts.detail;
  const t = textsFor(language);
  return `${translated.title}.${texts.note ? ` ${texts.note}` : ''}\n${t.whatToDo()}${t.colon()} ${translated.fix}\n\n${t.technicalDetail()}${t.colon()} ${texts.technical}`;
}
