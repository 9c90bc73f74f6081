import { readFileSync } from 'node:fs';
import { resources } from '../src/resources/catalogue.js';
import { normaliseObject } from '../src/snapshot/normalise.js';
import { checkObject, formatPath } from '../src/resources/graphSchema.js';
for (const def of resources) {
  let objs: unknown[] = [];
  try { objs = (JSON.parse(readFileSync(`test/simulator/fixtures/${def.type}.json`, 'utf8')) as { objects: unknown[] }).objects; } catch { console.log('no fixture', def.type); continue; }
  for (const o of objs) {
    const n = normaliseObject(def, o);
    for (const i of checkObject(def, n)) console.log(def.type, String(n[def.nameField]), i.kind, formatPath(i.path), '|', i.message, '|', i.fix);
  }
}
