/**
 * A lint worker thread: parses its share of the files once, then analyses them in rounds. Each round
 * gets the summaries other workers exported and returns its own, until they stop changing; functions
 * whose callees' summaries did not change are not analysed again (the engine memoises them).
 */
import { parentPort } from 'node:worker_threads';
import type { Model } from '../../../allocator-model/src/model';
import { initParser, type SourceFile } from '../engine';
import type { Summary } from '../engine/flow/summary';
import { analyzeParsed, parseSource, type ParsedFile } from '../engine/project/project';
import type { FileProblem, SeverityLevel } from '../engine/types';

export type WorkerRequest =
  | { kind: 'load'; files: SourceFile[]; model: Model; severities: Record<string, SeverityLevel | 'off'>; report: string[] }
  | { kind: 'round'; imports: Map<string, Summary> };

let parsed: ParsedFile[] = [];
let problems: FileProblem[] = [];
let model: Model;
let severities: Record<string, SeverityLevel | 'off'> = {};
let report = new Set<string>();

async function handle(msg: WorkerRequest): Promise<unknown> {
  if (msg.kind === 'load') {
    await initParser();
    model = msg.model;
    severities = msg.severities;
    report = new Set(msg.report);
    parsed = [];
    problems = [];
    const t0 = performance.now();
    for (const f of msg.files) {
      try {
        const p = parseSource(f, model);
        if ('message' in p) problems.push(p);
        else parsed.push(p);
      } catch (err) {
        problems.push({ file: f.path, message: `could not be parsed: ${(err as Error).message}` });
      }
    }
    return { kind: 'loaded', parseMs: performance.now() - t0 };
  }
  const t0 = performance.now();
  const result = analyzeParsed(parsed, { model, severities, reportOnly: report, imports: msg.imports, deferFieldConflicts: true });
  // what this share defines for the others: exported functions (static ones are invisible elsewhere)
  const exports = new Map<string, Summary>();
  for (const f of parsed) {
    if (!report.has(f.path)) continue;
    for (const fn of f.facts.functions) {
      const s = result.summaries.get(fn.name);
      if (!fn.isStatic && s) exports.set(fn.name, s);
    }
  }
  return {
    kind: 'round', exports, findings: result.findings, problems: [...problems.filter(p => report.has(p.file)), ...result.problems],
    unusedSuppressions: result.unusedSuppressions, fieldAssigns: result.fieldAssigns, fieldReleases: result.fieldReleases,
    stats: { ...result.stats, analysisMs: performance.now() - t0 },
  };
}

parentPort?.on('message', (msg: WorkerRequest) => {
  handle(msg).then(
    r => parentPort!.postMessage(r),
    err => parentPort!.postMessage({ kind: 'error', message: (err as Error).message }),
  );
});
