/** Human-readable rendering of conformance results. */
import type { CaseResult, ConformanceReport } from './kit.js';

export function renderResult(result: CaseResult): string {
  const title = `${result.suite} › ${result.name}`;
  if (result.status === 'passed') return `  ✓ ${title} (${result.durationMs} ms)`;
  if (result.status === 'skipped') return `  - ${title} (skipped: ${result.message})`;
  const lines = [`  ✗ ${title}`, `      ${result.message}`];
  if (result.rule) lines.push(`      rule: ${result.rule}`);
  return lines.join('\n');
}

export function renderSummary(report: ConformanceReport): string {
  return `${report.plugin}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`;
}
