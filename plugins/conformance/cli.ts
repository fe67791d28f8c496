/**
 * `npm run conformance -- [options] [--] <command> [args…]`: runs the driver conformance kit
 * against the plugin that <command> starts. With no command it runs against both reference
 * plugins. Exits 1 when any case fails, 2 on a usage error.
 */
import { parseArgs, UsageError, USAGE, type CliOptions } from './args.js';
import { runConformance, type ConformanceReport } from './kit.js';
import { renderResult, renderSummary } from './report.js';

async function main(): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`conformance: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const reports: ConformanceReport[] = [];
  for (const plugin of options.plugins) {
    if (!options.json) console.log(`\nferry conformance kit: ${plugin.label}`);
    const report = await runConformance({
      command: plugin.command,
      args: plugin.args,
      config: plugin.config,
      peerConfig: options.peerConfig,
      suites: options.suites ?? plugin.suites,
      onResult: options.json ? undefined : (result) => console.log(renderResult(result)),
    });
    reports.push(report);
    if (!options.json) console.log(renderSummary(report));
  }
  const total = (key: 'passed' | 'failed' | 'skipped') => reports.reduce((sum, r) => sum + r[key], 0);
  if (options.json) console.log(JSON.stringify({ reports, passed: total('passed'), failed: total('failed'), skipped: total('skipped') }, null, 2));
  else console.log(`\nconformance: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
  return total('failed') > 0 ? 1 : 0;
}

process.exitCode = await main();
