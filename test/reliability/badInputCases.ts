/**
 * The table of malformed and hostile inputs for test/reliability/badInput.test.ts (issue 7, "Bad
 * input"). Each case changes a repository that a backup of the simulator's fixtures left (or its
 * tenant-sync.yml), and says what a person must be told and which exit code the command line ends
 * with. The expectations are the documented behaviour (README "Command line", docs/troubleshooting),
 * not what the code happens to do: a case that fails is a product bug, listed in the suite's report.
 */
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const TENANT = 'contoso';
export const NL = `tenants/${TENANT}/entra/namedLocations`;
export const CA = `tenants/${TENANT}/entra/conditionalAccessPolicies`;
export const DC = `tenants/${TENANT}/intune/deviceConfigurations`;
export const SP = `tenants/${TENANT}/sharepoint/sharePointSettings`;

/**
 * The types the repository holds (types.include): the ones the cases break, and what they refer to.
 * Fewer types keep the suite fast; conditional access and named locations are paced at 1 request
 * per second by the Graph client, as Graph documents.
 */
export const TYPES = ['namedLocations', 'authenticationStrengthPolicies', 'conditionalAccessPolicies', 'deviceConfigurations', 'sharePointSettings'];
export const TYPES_SETTING = `    types:\n      include: [${TYPES.join(', ')}]\n`;

/** Files a backup of the fixtures writes (test/simulator/fixtures) */
export const IPV4 = `${NL}/IPv4 named location.json`;
export const IPV6 = `${NL}/Trusted IPv6 named location.json`;
export const BLOCK_LEGACY = `${CA}/Block legacy auth_ all users_apps.json`;
export const MFA_ADMINS = `${CA}/Require MFA for admins outside trusted locations.json`;
export const OMA_URI = `${DC}/Windows custom OMA-URI.json`;
export const SP_SETTINGS = `${SP}/SharePoint settings.json`;

export type Pattern = string | RegExp;

/** A problem that must be reported, with the file it names */
export interface Finding {
  /** Relative to the repository root with '/': exactly, or a pattern when several spellings are right */
  file: Pattern;
  /** Stable error code */
  code: Pattern;
  /** 1-based line the problem is on, when a line must be named */
  line?: number;
  /** What the message must say */
  message?: Pattern[];
  /** What the fix must say (it is never empty) */
  fix?: Pattern[];
}

export interface FileCase {
  name: string;
  /** Changes the backed-up repository at `root` */
  setup(root: string): Promise<void>;
  validate: {
    /** 0 valid, 5 problems found */
    code: 0 | 5;
    findings?: Finding[];
    /** Allowed but worth a look: printed as "warning: <file>..." and exit code 0 */
    warnings?: { file: Pattern; message?: Pattern[] }[];
    /** Must not appear anywhere in what validate prints */
    never?: Pattern[];
  };
  plan: {
    /** 0 nothing to do, 4 changes, errors or problems to look at */
    code: 0 | 4;
    /** Types left out of the plan because their files are invalid */
    skipped?: string[];
    /** No plan item may touch these objects (a name) or types (no name) */
    untouched?: { type: string; name?: string }[];
    /** Error codes the plan itself must carry */
    errors?: string[];
    /** Plan items there must be, [action, type, name] */
    items?: [string, string, string][];
    /** Must not appear anywhere in what plan prints */
    never?: Pattern[];
  };
  /** Also run through the bundled action's validate on a pull_request event */
  action?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Building files

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** 1-based line of the first line of `text` that contains `needle` */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" is not in the text`);
  return i + 1;
}

/** An IP named location as a backup writes it (keys sorted) */
function ipLocation(displayName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.ipNamedLocation',
    displayName,
    ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '6.5.4.3/32' }],
    isTrusted: false,
    ...extra,
  };
}

async function put(root: string, rel: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), content);
}

async function move(root: string, from: string, to: string): Promise<void> {
  await mkdir(dirname(join(root, to)), { recursive: true });
  await rename(join(root, from), join(root, to));
}

async function edit(root: string, rel: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(join(root, rel), 'utf8');
  const changed = change(text);
  if (changed === text) throw new Error(`the edit of ${rel} changed nothing`);
  await writeFile(join(root, rel), changed);
}

// The contents with a known problem on a known line

/** An existing object's file with a trailing comma: the object must not be taken for deleted */
export const TRAILING_COMMA = json(ipLocation('IPv4 named location')).replace('"isTrusted": false', '"isTrusted": false,');
const TRAILING_COMMA_LINE = lineOf(TRAILING_COMMA, '"isTrusted"') + 1;

/** A merge that was committed with its conflict markers */
export const CONFLICT_MARKERS = [
  '<<<<<<< HEAD',
  '{',
  '  "displayName": "Windows custom OMA-URI"',
  '}',
  '=======',
  '{',
  '  "displayName": "Windows custom OMA-URI (edited)"',
  '}',
  '>>>>>>> feature',
  '',
].join('\n');

const WRONG_ODATA = json({ ...ipLocation('IPv4 named location'), '@odata.type': '#microsoft.graph.conditionalAccessPolicy' });
const UNKNOWN_PROPERTY = json(ipLocation('IPv4 named location', { isTrustd: true }));
/** JSON.parse makes "__proto__" an own property: it must be reported, never merged into a prototype */
const PROTO_KEYS = '{\n  "@odata.type": "#microsoft.graph.ipNamedLocation",\n  "displayName": "Proto",\n  "ipRanges": [],\n  "isTrusted": false,\n  "__proto__": { "isAdmin": true }\n}\n';
const MISSING_REFERENCE_NAME = 'Nowhere HQ';

/** A valid named location of `bytes` bytes: one enormous value (an IP range, as Graph has it, a string) */
function hugeLocation(bytes: number): string {
  const head = '{\n  "@odata.type": "#microsoft.graph.ipNamedLocation",\n  "displayName": "Huge",\n  "ipRanges": [\n    {\n      "@odata.type": "#microsoft.graph.iPv4CidrRange",\n      "cidrAddress": "10.0.0.0/32';
  const tail = '"\n    }\n  ],\n  "isTrusted": false\n}\n';
  return `${head}${' '.repeat(Math.max(0, bytes - head.length - tail.length))}${tail}`;
}

/** Windows cannot check these names out (device names, ':' and trailing dots or spaces are refused) */
const windowsNames: [string, string, string][] = [
  // [case, file name, the name a backup would give that object]
  ['a device name (CON.json)', 'CON.json', 'CON_.json'],
  ['a colon (a:b.json)', 'a:b.json', 'a_b.json'],
  ['a trailing dot (Trailing..json)', 'Trailing..json', 'Trailing.json'],
  ['a trailing space ("Space .json")', 'Space .json', 'Space.json'],
];

const leftOut = (type: string) => ({ code: 4 as const, skipped: [type], untouched: [{ type }] });

export const fileCases: FileCase[] = [
  {
    name: 'invalid JSON in an existing object\'s file (trailing comma): named with its line and column; the object is not taken for deleted',
    setup: (root) => put(root, IPV4, TRAILING_COMMA),
    validate: {
      code: 5,
      findings: [{ file: IPV4, code: 'FILE_INVALID', line: TRAILING_COMMA_LINE, message: [/not valid JSON/], fix: [new RegExp(`line ${TRAILING_COMMA_LINE}, column \\d+`)] }],
    },
    plan: leftOut('namedLocations'),
    action: true,
  },
  {
    name: 'merge-conflict markers committed in a file',
    setup: (root) => put(root, OMA_URI, CONFLICT_MARKERS),
    validate: { code: 5, findings: [{ file: OMA_URI, code: 'FILE_INVALID', line: 1, message: [/not valid JSON/] }] },
    plan: leftOut('deviceConfigurations'),
  },
  {
    name: 'an empty file',
    setup: (root) => put(root, `${NL}/Empty.json`, ''),
    validate: { code: 5, findings: [{ file: `${NL}/Empty.json`, code: 'FILE_INVALID', line: 1, message: [/not valid JSON/] }] },
    plan: leftOut('namedLocations'),
  },
  {
    name: 'a JSON array instead of an object (an existing object\'s file)',
    setup: (root) => edit(root, OMA_URI, (text) => `[\n${text}]\n`),
    validate: { code: 5, findings: [{ file: OMA_URI, code: 'FILE_INVALID', message: [/array/, /not a JSON object/], fix: [/one object/] }] },
    plan: leftOut('deviceConfigurations'),
    action: true,
  },
  {
    name: 'a JSON string instead of an object',
    setup: (root) => put(root, `${NL}/Str.json`, '"IPv4 named location"\n'),
    validate: { code: 5, findings: [{ file: `${NL}/Str.json`, code: 'FILE_INVALID', message: [/string/, /not a JSON object/], fix: [/one object/] }] },
    plan: leftOut('namedLocations'),
  },
  {
    name: 'an object without its displayName',
    setup: (root) => put(root, `${NL}/No name.json`, json({ '@odata.type': '#microsoft.graph.ipNamedLocation', ipRanges: [], isTrusted: false })),
    validate: { code: 5, findings: [{ file: `${NL}/No name.json`, code: 'FILE_INVALID', message: [/displayName/], fix: [/"displayName"/] }] },
    plan: leftOut('namedLocations'),
  },
  {
    name: 'an @odata.type that is not a type of the folder\'s resource',
    setup: (root) => put(root, IPV4, WRONG_ODATA),
    validate: {
      code: 5,
      findings: [{ file: IPV4, code: 'FILE_INVALID', line: lineOf(WRONG_ODATA, '"@odata.type"'), message: [/conditionalAccessPolicy/, /not a type of namedLocation/], fix: [/#microsoft\.graph\.ipNamedLocation/] }],
    },
    plan: leftOut('namedLocations'),
  },
  {
    name: 'a property the Graph type does not have (isTrustd): reported with "did you mean", and not planned',
    setup: (root) => put(root, IPV4, UNKNOWN_PROPERTY),
    validate: {
      code: 5,
      findings: [{ file: IPV4, code: 'FILE_INVALID', line: lineOf(UNKNOWN_PROPERTY, '"isTrustd"'), message: [/"isTrustd"/, /did you mean "isTrusted"/], fix: [/Rename "isTrustd" to "isTrusted"/] }],
    },
    plan: leftOut('namedLocations'),
    action: true,
  },
  {
    name: 'a "__proto__" key (prototype pollution attempt)',
    setup: (root) => put(root, `${NL}/Proto.json`, PROTO_KEYS),
    validate: { code: 5, findings: [{ file: `${NL}/Proto.json`, code: 'FILE_INVALID', line: lineOf(PROTO_KEYS, '__proto__'), message: [/__proto__/] }] },
    plan: { ...leftOut('namedLocations'), never: [/isAdmin/] },
  },
  {
    name: 'a conditional access policy moved into the named locations folder: the fix says where it belongs',
    setup: (root) => move(root, BLOCK_LEGACY, `${NL}/Block legacy auth_ all users_apps.json`),
    validate: {
      code: 5,
      findings: [{ file: `${NL}/Block legacy auth_ all users_apps.json`, code: 'FILE_INVALID', message: [/not a property of namedLocation/], fix: [/conditionalAccessPolicies/] }],
    },
    // The policy is not created as a named location (validate rejects the file: the type is left out)
    plan: { code: 4, skipped: ['namedLocations'], untouched: [{ type: 'namedLocations' }] },
  },
  {
    name: 'two files with the same displayName: DUPLICATE_NAME names both files, and says nothing untrue about the tenant',
    setup: async (root) => put(root, `${NL}/IPv4 copy.json`, await readFile(join(root, IPV4))),
    validate: {
      code: 5,
      findings: [
        { file: `${NL}/IPv4 copy.json`, code: 'DUPLICATE_NAME', message: [/IPv4 copy\.json/, /IPv4 named location\.json/], fix: [/own name/] },
        { file: IPV4, code: 'DUPLICATE_NAME', message: [/IPv4 copy\.json/, /IPv4 named location\.json/] },
      ],
      // validate reads no tenant: only the repository has the two objects
      never: [/in the tenant are named/],
    },
    plan: { code: 4, errors: ['DUPLICATE_NAME'], untouched: [{ type: 'namedLocations', name: 'IPv4 named location' }] },
    action: true,
  },
  {
    name: 'a reference to a named location that does not exist: REFERENCE_UNRESOLVED with the file and the name',
    setup: (root) => edit(root, MFA_ADMINS, (t) => t.replace('"00000000-0000-0000-0000-000000000000"', JSON.stringify(MISSING_REFERENCE_NAME))),
    validate: {
      code: 5,
      findings: [{ file: MFA_ADMINS, code: 'REFERENCE_UNRESOLVED', message: [MISSING_REFERENCE_NAME, /excludeLocations\[1\]/], fix: [/Correct the name|add the object/] }],
    },
    plan: { code: 4, errors: ['REFERENCE_UNRESOLVED'], untouched: [{ type: 'conditionalAccessPolicies', name: 'Require MFA for admins outside trusted locations' }] },
  },
  {
    // Documented in src/snapshot/files.ts: the object is known by its displayName, not its file name;
    // nothing changes in the tenant, and the person is told how to rename the object instead.
    name: 'a renamed file (file name no longer matches displayName): no change, a warning that says how to rename the object',
    setup: (root) => move(root, IPV4, `${NL}/Office HQ.json`),
    validate: { code: 0, warnings: [{ file: `${NL}/Office HQ.json`, message: [/IPv4 named location/, /displayName/] }] },
    plan: { code: 0, untouched: [{ type: 'namedLocations' }] },
  },
  {
    name: 'an enormous file (30 MB of valid JSON): refused cleanly with its size, not planned',
    setup: (root) => put(root, `${NL}/Huge.json`, hugeLocation(30 * 1024 * 1024)),
    validate: { code: 5, findings: [{ file: `${NL}/Huge.json`, code: 'FILE_INVALID', message: [/MB|too large|size/i] }] },
    plan: { ...leftOut('namedLocations'), never: [/10\.0\.0\.0\/32 {100}/] },
  },
  {
    name: 'an enormous broken file (30 MB, an unterminated string): named with its line, its content not echoed',
    setup: (root) => put(root, `${NL}/Huge broken.json`, `{\n  "displayName": "${'x'.repeat(30 * 1024 * 1024)}`),
    validate: { code: 5, findings: [{ file: `${NL}/Huge broken.json`, code: 'FILE_INVALID', line: 2, message: [/not valid JSON/] }], never: [/x{200}/] },
    plan: { ...leftOut('namedLocations'), never: [/x{200}/] },
  },
  {
    // A name starting with '.' is a hidden file: documented as ignored (src/snapshot/files.ts)
    name: 'a file name with an encoded path traversal (..%2F..%2Fevil.json): ignored, nothing read or written outside',
    setup: (root) => put(root, `${NL}/..%2F..%2Fevil.json`, json(ipLocation('Evil'))),
    validate: { code: 0 },
    plan: { code: 0, untouched: [{ type: 'namedLocations', name: 'Evil' }] },
  },
  {
    name: 'a displayName and file name made of ".." and "/" segments: an ordinary name, nothing written outside the repository',
    setup: (root) => put(root, `${NL}/a..%2F..b.json`, json(ipLocation('../../escape'))),
    validate: { code: 0 },
    plan: { code: 4, items: [['create', 'namedLocations', '../../escape']] },
  },
  ...windowsNames.map(([what, file, safe]): FileCase => ({
    name: `a file name Windows cannot check out: ${what}; the fix names ${safe}`,
    setup: (root) => put(root, `${NL}/${file}`, json(ipLocation(file.slice(0, -'.json'.length)))),
    validate: { code: 5, findings: [{ file: `${NL}/${file}`, code: 'FILE_INVALID', message: [/Windows/], fix: [safe] }] },
    plan: { code: 4 },
  })),
  {
    name: 'a file that is not UTF-8 (Latin-1 "Café"): refused, never deployed with a replacement character',
    setup: (root) => put(root, `${NL}/Cafe.json`, Buffer.from('{\n  "@odata.type": "#microsoft.graph.ipNamedLocation",\n  "displayName": "Caf\xe9",\n  "ipRanges": [],\n  "isTrusted": false\n}\n', 'latin1')),
    validate: { code: 5, findings: [{ file: `${NL}/Cafe.json`, code: 'FILE_INVALID', line: 3, message: [/UTF-8/] }] },
    plan: { ...leftOut('namedLocations'), never: ['\ufffd'] },
  },
  {
    name: 'a symbolic link to a file outside the repository (/etc/passwd): refused, never read',
    setup: (root) => symlink('/etc/passwd', join(root, NL, 'passwd.json')),
    validate: { code: 5, findings: [{ file: `${NL}/passwd.json`, code: 'FILE_INVALID', message: [/symbolic link/], fix: [/Replace the link/] }], never: ['root:'] },
    plan: { ...leftOut('namedLocations'), never: ['root:'] },
  },
  {
    name: 'a tenant folder that is not in tenant-sync.yml (tenants/contosso): named, with the fix',
    setup: async (root) => put(root, `tenants/contosso/entra/namedLocations/Branch office.json`, json(ipLocation('Branch office'))),
    validate: { code: 5, findings: [{ file: /^tenants\/contosso(\/|$)/, code: /FILE_INVALID|CONFIG_UNKNOWN_TENANT/, message: [/contosso/], fix: [/"?contoso"?|tenant-sync\.yml/] }] },
    plan: { code: 0, untouched: [{ type: 'namedLocations', name: 'Branch office' }] },
  },
  {
    name: 'a tenant folder that differs only in case (tenants/Contoso): the same folder on Windows and macOS',
    setup: async (root) => put(root, `tenants/Contoso/entra/namedLocations/Branch office.json`, json(ipLocation('Branch office'))),
    validate: { code: 5, findings: [{ file: /^tenants\/Contoso(\/|$)/, code: /FILE_INVALID|CONFIG_UNKNOWN_TENANT/, message: [/Contoso/], fix: [/contoso/] }] },
    plan: { code: 0, untouched: [{ type: 'namedLocations', name: 'Branch office' }] },
  },
  {
    // Documented: files that do not end in '.json' (README.md) are ignored
    name: 'files that are not .json in a type folder (README.md, notes.txt, a .json.bak): ignored',
    setup: async (root) => {
      await put(root, `${NL}/README.md`, '# Named locations\n');
      await put(root, `${NL}/notes.txt`, 'not { json\n');
      await put(root, `${NL}/IPv4 named location.json.bak`, '{ broken\n');
    },
    validate: { code: 0 },
    plan: { code: 0, untouched: [{ type: 'namedLocations' }] },
  },
  {
    name: 'a .json file directly in a workload folder',
    setup: (root) => put(root, `tenants/${TENANT}/entra/Stray.json`, json(ipLocation('Stray'))),
    validate: { code: 5, findings: [{ file: `tenants/${TENANT}/entra/Stray.json`, code: 'FILE_INVALID', message: [/type folder/], fix: [/entra\/namedLocations/] }] },
    plan: { code: 4, untouched: [{ type: 'namedLocations', name: 'Stray' }] },
  },
  {
    name: 'a type folder under the wrong workload (intune/namedLocations)',
    setup: (root) => put(root, `tenants/${TENANT}/intune/namedLocations/Branch office.json`, json(ipLocation('Branch office'))),
    validate: { code: 5, findings: [{ file: `tenants/${TENANT}/intune/namedLocations`, code: 'FILE_INVALID', message: [/entra/], fix: [`tenants/${TENANT}/entra/namedLocations`] }] },
    plan: leftOut('namedLocations'),
    action: true,
  },
  {
    name: 'a misspelt type folder (entra/namedLocation)',
    setup: (root) => put(root, `tenants/${TENANT}/entra/namedLocation/Branch office.json`, json(ipLocation('Branch office'))),
    validate: { code: 5, findings: [{ file: `tenants/${TENANT}/entra/namedLocation`, code: 'FILE_INVALID', message: [/not a known entra type/, /namedLocations/] }] },
    plan: { code: 4, untouched: [{ type: 'namedLocations', name: 'Branch office' }] },
  },
  {
    name: 'a folder inside a type folder',
    setup: (root) => put(root, `${NL}/archive/Old.json`, json(ipLocation('Old'))),
    validate: { code: 5, findings: [{ file: `${NL}/archive`, code: 'FILE_INVALID', fix: [/Move its \.json files up|remove the folder/] }] },
    plan: leftOut('namedLocations'),
  },
  {
    name: 'a second file in a single-object type (sharePointSettings)',
    setup: async (root) => put(root, `${SP}/Copy.json`, await readFile(join(root, SP_SETTINGS))),
    validate: { code: 5, findings: [{ file: SP, code: 'FILE_INVALID', message: [/Copy\.json/], fix: [/SharePoint settings\.json/] }] },
    plan: leftOut('sharePointSettings'),
  },
];

// ---------------------------------------------------------------------------------------------
// tenant-sync.yml

export interface ConfigCase {
  name: string;
  /** The configuration file's text from the valid one; undefined: no file at all */
  config: (valid: string) => string | undefined;
  /** Extra environment of the process */
  env?: Record<string, string>;
  /**
   * The commands run, each must end with exit code 2 (default: validate). validate and plan read
   * the file the same way; plan runs where it matters (the tenant it is asked for, the endpoints
   * it would sign in to) and for a few representative mistakes, to keep the suite fast.
   */
  commands?: string[][];
  code: string;
  /** Line of tenant-sync.yml the message must name */
  line?: number;
  /** What the message or the fix must say */
  says: Pattern[];
  action?: boolean;
}

/** The valid configuration's lines: line 1 version, 3 '- name: contoso', 7 'method: secret' (see test/backup/helpers.ts configText) */
const append = (extra: string) => (valid: string) => `${valid}${extra}`;
const VALIDATE_AND_PLAN = [['validate'], ['plan', '--tenant', TENANT]];

export const configCases: ConfigCase[] = [
  {
    name: 'invalid YAML (an unclosed flow sequence): the line and column',
    commands: VALIDATE_AND_PLAN,
    config: append('    types: [namedLocations\n'),
    code: 'CONFIG_INVALID',
    says: [/not valid YAML/, /line \d+, column \d+/],
    line: 9,
    action: true,
  },
  {
    name: 'a duplicate key',
    config: append('    cloud: public\n    cloud: usgov\n'),
    code: 'CONFIG_INVALID',
    says: [/not valid YAML/, /unique|duplicate/i],
    line: 9,
  },
  {
    name: 'a wrong type (concurrency: "fast")',
    config: append('    concurrency: "fast"\n'),
    code: 'CONFIG_INVALID',
    says: ['tenants[0].concurrency', /number/],
    line: 8,
  },
  {
    name: 'an unknown tenant property (clowd): did you mean "cloud"',
    commands: VALIDATE_AND_PLAN,
    config: append('    clowd: usgov\n'),
    code: 'CONFIG_INVALID',
    says: ['unknown key "clowd"', 'Did you mean "cloud"?'],
    line: 8,
    action: true,
  },
  {
    name: 'an unknown top-level property (defualts): did you mean "defaults"',
    config: (valid) => `defualts:\n  drift: adopt\n${valid}`,
    code: 'CONFIG_INVALID',
    says: ['unknown key "defualts"', 'Did you mean "defaults"?'],
    line: 1,
  },
  {
    name: 'a misspelt required key (verison): the typo is named, with did you mean "version"',
    config: (valid) => valid.replace(/^version: 1/, 'verison: 1'),
    code: 'CONFIG_INVALID',
    says: ['verison', /did you mean "version"/i],
    line: 1,
  },
  {
    name: 'an empty file: says it is empty and what it needs',
    config: () => '',
    code: 'CONFIG_INVALID',
    says: [/empty/i, /version/, /tenants/],
  },
  {
    name: 'a tenant name with a path in it (../evil): refused, it names a folder and a branch',
    config: (valid) => valid.replace('name: contoso', 'name: ../evil'),
    commands: [['validate'], ['plan', '--tenant', '../evil']],
    code: 'CONFIG_INVALID',
    says: ['tenants[0].name', /lower-case letters, digits and dashes/],
    line: 3,
  },
  {
    name: 'a tenant-id that is neither a GUID nor a domain',
    config: (valid) => valid.replace(/tenant-id: .*/, 'tenant-id: not a tenant'),
    code: 'CONFIG_INVALID',
    says: ["tenants[0].tenant-id", /GUID|domain/],
    line: 4,
  },
  {
    name: 'an unknown resource type in types.include: did you mean',
    commands: VALIDATE_AND_PLAN,
    config: append('    types:\n      include: [namedLocation]\n'),
    code: 'CONFIG_UNKNOWN_TYPE',
    says: ['"namedLocation"', 'Did you mean "namedLocations"?'],
    line: 9,
  },
  {
    name: 'an unknown cloud: the clouds there are',
    config: append('    cloud: azure\n'),
    code: 'CONFIG_INVALID',
    says: ['tenants[0].cloud', /public, usgov, usgov-dod, china/],
    line: 8,
  },
  {
    name: 'a non-HTTPS authority-host',
    commands: VALIDATE_AND_PLAN,
    config: append('    authority-host: http://login.example.test\n'),
    code: 'CONFIG_INVALID',
    says: ['authority-host', /https:\/\//],
    line: 8,
  },
  {
    name: 'a non-HTTPS graph-endpoint in defaults',
    config: (valid) => valid.replace('tenants:\n', 'defaults:\n  graph-endpoint: http://graph.example.test\ntenants:\n'),
    code: 'CONFIG_INVALID',
    says: ['defaults.graph-endpoint', /https:\/\//],
    line: 3,
  },
  {
    name: 'a non-HTTPS TENANT_SYNC_AUTHORITY_HOST',
    commands: VALIDATE_AND_PLAN,
    config: (valid) => valid,
    env: { TENANT_SYNC_AUTHORITY_HOST: 'http://login.example.test' },
    code: 'CONFIG_ENDPOINT',
    says: ['TENANT_SYNC_AUTHORITY_HOST', /https:\/\//],
  },
  {
    name: 'a TENANT_SYNC_GRAPH_ENDPOINT that is not a URL',
    commands: VALIDATE_AND_PLAN,
    config: (valid) => valid,
    env: { TENANT_SYNC_GRAPH_ENDPOINT: 'graph.example.test' },
    code: 'CONFIG_ENDPOINT',
    says: ['TENANT_SYNC_GRAPH_ENDPOINT', /https:\/\//],
  },
  {
    name: 'delete-guard max-share 1.5 (a share is at most 1)',
    config: append('    delete-guard:\n      max-share: 1.5\n'),
    code: 'CONFIG_INVALID',
    says: ['max-share', /<=\s*1|at most 1/],
    line: 9,
  },
  {
    name: 'concurrency 0',
    config: append('    concurrency: 0\n'),
    code: 'CONFIG_INVALID',
    says: ['tenants[0].concurrency', />=\s*1|at least 1/],
    line: 8,
  },
  {
    name: 'delegated timeout-minutes 0',
    config: append('    delegated:\n      timeout-minutes: 0\n'),
    code: 'CONFIG_INVALID',
    says: ['timeout-minutes', />\s*0|positive|at least/],
    line: 9,
  },
  {
    name: 'two tenants with the same name',
    config: (valid) => `${valid}  - name: contoso\n    tenant-id: fabrikam.onmicrosoft.com\n    client-id: 11111111-2222-3333-4444-555555555555\n`,
    code: 'CONFIG_INVALID',
    says: ['used twice', 'tenants[0]', 'tenants[1]'],
    line: 8,
  },
  {
    name: 'a tenant that is not in tenant-sync.yml (--tenant nope)',
    config: (valid) => valid,
    commands: [['validate', '--tenant', 'nope'], ['plan', '--tenant', 'nope']],
    code: 'CONFIG_UNKNOWN_TENANT',
    says: ['"nope"', 'Use one of: contoso'],
  },
  {
    name: 'a misspelt tenant (--tenant contosso): did you mean',
    config: (valid) => valid,
    commands: [['validate', '--tenant', 'contosso'], ['plan', '--tenant', 'contosso']],
    code: 'CONFIG_UNKNOWN_TENANT',
    says: ['Did you mean "contoso"?'],
  },
  {
    name: 'no tenant-sync.yml',
    commands: VALIDATE_AND_PLAN,
    config: () => undefined,
    code: 'CONFIG_NOT_FOUND',
    says: ['tenant-sync.yml was not found', /Create tenant-sync\.yml/],
  },
];
