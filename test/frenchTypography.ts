/**
 * French typography, the same in every French text: a non-breaking space (U+00A0) before : ; ? and !
 * (never an ordinary space, which lets a line break before the sign), and the typographic
 * apostrophe ’ (never '). A colon glued to a word (`tenant-sync:revert`, URLs, YAML) is left alone.
 */
export function frenchTypographyProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/ [:;?!]|\p{L}'\p{L}|« | »/gu)) problems.push(text.slice(Math.max(0, m.index - 20), m.index + 20));
  return problems;
}
