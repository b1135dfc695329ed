/**
 * One CLI invocation from start to exit status: parse the command line, load the configuration,
 * find and read the files, lint them, print the report and the summary. Knows nothing of `process`
 * (main.ts wires it to the real one), so every step can be exercised on its own.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HELP, parseArgs, type CliOptions, type OutputFormat } from './args';
import { formatConfigProblem, loadConfig } from './config';
import { discoverFiles } from './discover';
import { InputError, UsageError } from './errors';
import { formatJson } from './format-json';
import { formatSarif } from './format-sarif';
import { formatSummary, formatText } from './format-text';
import { lintFiles, type LintOutcome } from './lint';
import { writeOutput } from './output';
import { createProgress } from './progress';
import { readSources, type SkippedFile } from './read';
import { displayPath, sortFindings, type LintReport } from './report';
import { runSimulate } from './simulate';
import { TOOL_NAME, TOOL_VERSION } from './version';

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  /** Progress lines are drawn only on a terminal. */
  stderrIsTTY: boolean;
}

const FORMATTERS: Record<OutputFormat, (r: LintReport) => string> = {
  text: formatText,
  json: formatJson,
  sarif: formatSarif,
};

/** Runs `heaplint <argv>` and returns the exit status: 0 clean, 1 findings, 2 usage or input error. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    if (argv[0] === 'simulate') return await simulate(argv.slice(1), io);
    const parsed = parseArgs(argv);
    if (parsed.kind === 'help') {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (parsed.kind === 'version') {
      io.out(`${TOOL_NAME} ${TOOL_VERSION}\n`);
      return 0;
    }
    return await lint(parsed.options, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${TOOL_NAME}: ${err.message} (see '${TOOL_NAME} --help')\n`);
      return 2;
    }
    if (err instanceof InputError) {
      io.err(`${TOOL_NAME}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function simulate(args: string[], io: CliIO): Promise<number> {
  return runSimulate(args, {
    out: s => io.out(s),
    err: s => io.err(s),
    readFile: p => readFileSync(resolve(io.cwd, p), 'utf8'),
    writeFile: (p, data) => {
      const abs = resolve(io.cwd, p);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, data);
    },
  });
}

async function lint(o: CliOptions, io: CliIO): Promise<number> {
  const startTime = new Date();
  const cwd = io.cwd;
  const note = (s: string) => io.err(`${TOOL_NAME}: ${s}\n`);

  const cfg = loadConfig({ cwd, paths: o.paths, configPath: o.config, python: o.python, rules: o.rules, excludes: o.excludes });
  for (const p of cfg.problems) io.err(`${formatConfigProblem(p, cwd)}\n`);

  const progress = createProgress({ enabled: io.stderrIsTTY && !o.quiet, write: s => io.err(s) });
  const found = discoverFiles(o.paths, { cwd, excludes: cfg.excludes, maxFiles: o.maxFiles });
  const skipped: SkippedFile[] = [
    ...found.missing.map(p => ({ file: resolve(cwd, p), reason: 'no such file or folder' })),
    ...found.unreadable.map(u => ({ file: u.path, reason: u.reason })),
  ];
  const read = readSources(found.files, (done, total) => progress.update(`${TOOL_NAME}: reading files ${done}/${total}`));
  progress.clear();
  skipped.push(...read.skipped);
  for (const s of skipped) note(`${displayPath(s.file, cwd)}: ${s.reason}`);
  for (const p of found.empty) note(`${p}: no .c or .h files found`);

  let outcome: LintOutcome | undefined;
  if (read.sources.length > 0) {
    outcome = await lintFiles(
      read.sources,
      {
        model: cfg.model,
        severities: cfg.severities,
        onProgress: (phase, done, total) => {
          if (done >= total) return;
          if (phase === 'parsing') progress.update(`${TOOL_NAME}: parsing files ${done}/${total}`);
          else if (phase === 'functions') progress.update(`${TOOL_NAME}: analysing functions ${done}/${total}`);
          else progress.update(`${TOOL_NAME}: analysing ${total} files…`, total >= 50);
        },
      },
      o.jobs,
    );
    progress.clear();
    for (const p of outcome.problems) note(`${displayPath(p.file, cwd)}: ${p.message}`);
  }

  const linted = read.sources.map(s => s.path);
  const report: LintReport = {
    cwd,
    python: cfg.python,
    configFile: cfg.file,
    configProblems: cfg.problems,
    severities: cfg.severities,
    linted,
    skipped,
    engineProblems: outcome?.problems ?? [],
    findings: sortFindings(outcome?.findings ?? [], linted),
    texts: new Map(read.sources.map(s => [s.path, s.text])),
    startTime,
    endTime: new Date(),
    executionSuccessful: read.sources.length > 0,
  };

  const rendered = FORMATTERS[o.format](report);
  if (o.output !== undefined && o.output !== '-') writeOutput(o.output, rendered, cwd);
  else if (rendered !== '') io.out(rendered);

  if (read.sources.length === 0) return 2; // every reason was printed above
  if (!o.quiet) io.err(`${formatSummary(report)}\n`);
  return report.findings.length > 0 ? 1 : 0;
}
