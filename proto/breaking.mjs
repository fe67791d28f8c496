#!/usr/bin/env node
// Runs `buf breaking` for the contracts against the previous commit (or FERRY_BREAKING_AGAINST,
// any git ref), so a change that would break v1 plugins or clients fails `npm run lint`.
// v1 grows additively only: new fields, messages, RPCs and enum values are fine; renumbering,
// renaming, retyping or removing is not. When there is nothing to compare with (first commit,
// shallow clone, no contract at that commit) it says so and passes.
import { execFileSync, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const against = process.env.FERRY_BREAKING_AGAINST ?? 'HEAD~1';
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });

const resolved = git('rev-parse', '--verify', '--quiet', `${against}^{commit}`);
if (resolved.status !== 0) {
  console.log(`buf breaking: skipped, ${against} is not a commit here (first commit or shallow clone)`);
  process.exit(0);
}
const sha = resolved.stdout.trim();
if (git('cat-file', '-e', `${sha}:buf.yaml`).status !== 0 || git('cat-file', '-e', `${sha}:proto/ferry`).status !== 0) {
  console.log(`buf breaking: skipped, ${against} (${sha.slice(0, 12)}) has no contract to compare with`);
  process.exit(0);
}
try {
  execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['breaking', '--against', `.git#ref=${sha}`], { cwd: root, stdio: 'inherit' });
  console.log(`buf breaking: no breaking change against ${against} (${sha.slice(0, 12)})`);
} catch {
  console.error(`buf breaking: the contract breaks compatibility with ${against} (${sha.slice(0, 12)}); v1 may only grow additively`);
  process.exit(1);
}
