/**
 * `npm run bench`: lints the CPython 3.11 corpus (Modules/, Objects/, Python/ of corpus/python3.11,
 * fetched by scripts/fetch-cpython.sh) as the CLI does with one job, and prints files, lines, seconds,
 * lines/s and peak memory (of the process, its lint thread included), and
 * in the same run how long tree-sitter alone takes to parse the same files, and the ratio; then the
 * same lint with N worker threads (the CLI's --jobs, default 2; --jobs 1 skips it), whose findings
 * must be the one thread's.
 *   node dist/bench.js [corpus-dir] [--jobs N]
 */
import '../server/src/cli/v8-tuning'; // the CLI's V8 settings, so that the figures are the command's
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initParser } from '../server/src/engine';
import { parseC } from '../server/src/engine/parse/parser';
import { modelFor } from '../allocator-model/src';
import { lintFiles } from '../server/src/cli/lint';

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.[ch]$/.test(e)) out.push(p);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jobsAt = args.indexOf('--jobs');
  const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : 2;
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error('bench: --jobs needs a whole number of at least 1');
    process.exit(2);
  }
  // the corpus: the argument that is neither an option nor --jobs's value
  const root = resolve(args.find((a, i) => !a.startsWith('--') && (jobsAt < 0 || i !== jobsAt + 1)) ?? 'corpus/python3.11');
  if (!existsSync(join(root, 'Modules'))) {
    console.error(`bench: no CPython tree at ${root}; run: bash scripts/fetch-cpython.sh`);
    process.exit(2);
  }
  const files: string[] = [];
  for (const sub of ['Modules', 'Objects', 'Python']) walk(join(root, sub), files);
  const sources = files.map(p => ({ path: p, text: readFileSync(p, 'utf8') }));
  const lines = sources.reduce((n, s) => n + s.text.split('\n').length, 0);
  await initParser();

  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);

  // parse only: tree-sitter on the same texts, trees deleted as we go
  const p0 = performance.now();
  for (const s of sources) parseC(s.text).delete();
  const parseOnly = (performance.now() - p0) / 1000;

  // the lint as the CLI runs it with one job (its own thread, cli/lint.ts)
  const a0 = performance.now();
  const result = await lintFiles(sources, { model: modelFor({}, '3.11'), severities: {} }, 1);
  const total = (performance.now() - a0) / 1000;
  sample();
  clearInterval(timer);

  const byRule = new Map<string, number>();
  for (const f of result.findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
  console.log(`corpus            ${root}`);
  console.log(`files             ${sources.length}`);
  console.log(`lines             ${lines}`);
  console.log(`functions         ${result.stats.functions} (analysed ${result.stats.analysed}, over budget ${result.stats.gaveUp})`);
  console.log(`parse only        ${parseOnly.toFixed(2)} s`);
  console.log(`heaplint total    ${total.toFixed(2)} s (parse+facts ${(result.stats.parseMs / 1000).toFixed(2)} s, analysis ${(result.stats.analysisMs / 1000).toFixed(2)} s)`);
  console.log(`lines/s           ${Math.round(lines / total)}`);
  console.log(`ratio             ${(total / parseOnly).toFixed(2)}x parse-only time`);
  console.log(`peak RSS          ${(peak / 1048576).toFixed(0)} MiB`);
  console.log(`findings          ${result.findings.length} (${[...byRule].map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`problems          ${result.problems.length}`);
  if (jobs > 1) {
    const j0 = performance.now();
    const parallel = await lintFiles(sources, { model: modelFor({}, '3.11'), severities: {} }, jobs);
    const seconds = (performance.now() - j0) / 1000;
    const same = JSON.stringify(parallel.findings) === JSON.stringify(result.findings);
    console.log(`--jobs ${jobs}          ${seconds.toFixed(2)} s (${(seconds / total).toFixed(2)}x one thread; findings ${same ? 'the same' : 'DIFFERENT'})`);
    if (!same) process.exitCode = 1;
  }
}

main().catch(err => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(2);
});
