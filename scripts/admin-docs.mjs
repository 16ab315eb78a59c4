#!/usr/bin/env node
// Writes docs/admin.md from utils/settings/policy-examples.ts (one policy object, every format),
// and the settings table from the managed schema. `--check` fails when the file is out of date.
//
//   node scripts/admin-docs.mjs [--check]
import fs from 'node:fs';
import path from 'node:path';
import { load, parseArgs, root } from './lib/script-setup.mjs';

const { flag } = parseArgs();
const { renderAdminDoc } = await load('utils/settings/admin-doc.ts');
const file = path.join(root, 'docs/admin.md');
const text = renderAdminDoc();
if (flag('check')) {
  const same = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text;
  console.log(same ? 'docs/admin.md is up to date' : 'docs/admin.md is out of date: run node scripts/admin-docs.mjs');
  process.exit(same ? 0 : 1);
}
fs.writeFileSync(file, text);
console.log('wrote docs/admin.md');
