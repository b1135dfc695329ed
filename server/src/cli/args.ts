/**
 * Command-line parsing for `heaplint [options] <files or folders…>`. Only the syntax is checked here
 * (known options, values present, numbers and enumerations valid); what the values mean (rule ids,
 * Python versions, paths) is checked where they are used. Every problem is a UsageError.
 */
import { availableParallelism, cpus } from 'node:os';
import { UsageError } from './errors';
import { TOOL_NAME } from './version';

export type OutputFormat = 'text' | 'json' | 'sarif';

export interface CliOptions {
  paths: string[];
  format: OutputFormat;
  /** Where the report goes; undefined or "-" is stdout. */
  output?: string;
  python?: string;
  config?: string;
  /** Raw `ID=level` specs, in command-line order (later ones win). */
  rules: string[];
  /** Extra exclude globs, relative to the current directory. */
  excludes: string[];
  jobs: number;
  quiet: boolean;
  maxFiles: number;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'version' } | { kind: 'lint'; options: CliOptions };

export const DEFAULT_MAX_FILES = 20_000;
export const MAX_JOBS = 256;

export function defaultJobs(): number {
  try {
    return Math.max(1, availableParallelism());
  } catch {
    return Math.max(1, cpus().length);
  }
}

export const HELP = `usage: ${TOOL_NAME} [options] <files or folders…>
       ${TOOL_NAME} simulate FILE.heaptrace [options]   (see ${TOOL_NAME} simulate --help)

Lints CPython C extensions for allocator misuse. Folders are searched for .c and .h files.

options:
  -f, --format text|json|sarif   report format (default: text)
  -o, --output FILE              write the report to FILE instead of stdout
      --python X.Y               CPython version to check against (3.8 … 3.14, 3.13t, 3.14t)
      --config FILE              use this heaplint.json instead of the nearest one
      --rule ID=LEVEL            set a rule's severity: off, info, warning or error (repeatable)
      --exclude GLOB             skip files and folders matching GLOB (repeatable)
  -j, --jobs N                   worker threads (default: number of cores)
      --max-files N              refuse to lint more than N files (default: ${DEFAULT_MAX_FILES})
  -q, --quiet                    no summary line and no progress on stderr
  -h, --help                     show this help
  -v, --version                  show the version

exit status: 0 no findings, 1 findings, 2 usage or input error`;

const FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif'];

/** Options that take a value, by every spelling, mapped to their long name. */
const VALUE_OPTIONS: Record<string, string> = {
  '-f': '--format', '--format': '--format',
  '-o': '--output', '--output': '--output',
  '--python': '--python',
  '--config': '--config',
  '--rule': '--rule',
  '--exclude': '--exclude',
  '-j': '--jobs', '--jobs': '--jobs',
  '--max-files': '--max-files',
};

const FLAG_OPTIONS: Record<string, string> = {
  '-q': '--quiet', '--quiet': '--quiet',
  '-h': '--help', '--help': '--help',
  '-v': '--version', '-V': '--version', '--version': '--version',
};

function positiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${text}"`);
  }
  return Number(text);
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const o: CliOptions = {
    paths: [], format: 'text', rules: [], excludes: [], jobs: defaultJobs(), quiet: false, maxFiles: DEFAULT_MAX_FILES,
  };
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      o.paths.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      o.paths.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const spelled = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = FLAG_OPTIONS[spelled];
    if (flag) {
      if (eq > 0) throw new UsageError(`${spelled} takes no value`);
      if (flag === '--help') help = true;
      else if (flag === '--version') version = true;
      else o.quiet = true;
      continue;
    }
    const name = VALUE_OPTIONS[spelled];
    if (!name) throw new UsageError(`unknown option ${spelled}`);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) throw new UsageError(`${spelled} needs a value`);
      value = next;
      i++;
    }
    if (value === '') throw new UsageError(`${spelled} needs a value`);
    switch (name) {
      case '--format':
        if (!FORMATS.includes(value as OutputFormat)) throw new UsageError(`--format must be text, json or sarif, not "${value}"`);
        o.format = value as OutputFormat;
        break;
      case '--output':
        o.output = value;
        break;
      case '--python':
        o.python = value;
        break;
      case '--config':
        o.config = value;
        break;
      case '--rule':
        o.rules.push(value);
        break;
      case '--exclude':
        o.excludes.push(value);
        break;
      case '--jobs':
        o.jobs = positiveInt('--jobs', value, MAX_JOBS);
        break;
      case '--max-files':
        o.maxFiles = positiveInt('--max-files', value, Number.MAX_SAFE_INTEGER);
        break;
    }
  }
  if (help) return { kind: 'help' };
  if (version) return { kind: 'version' };
  if (o.paths.length === 0) throw new UsageError('no files or folders to lint');
  return { kind: 'lint', options: o };
}
