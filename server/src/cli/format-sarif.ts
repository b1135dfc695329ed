/**
 * SARIF 2.1.0, one run. File URIs are relative to %SRCROOT% (the current directory, given in
 * originalUriBaseIds) so the log can be uploaded from any checkout; files outside it get absolute
 * file: URIs. Every rule is described in tool.driver.rules with a help link; results carry
 * relatedLocations (allocation site, earlier release), a codeFlow when the finding is
 * path-dependent, a fix when one is known, and a partialFingerprint that does not move with the
 * line number. Skipped files and engine problems are toolExecutionNotifications; heaplint.json
 * problems are toolConfigurationNotifications; --rule / heaplint.json severities are
 * ruleConfigurationOverrides.
 */
import { pathToFileURL } from 'node:url';
import { RULES, ruleDocsUrl, type Finding, type Range, type Related, type SeverityLevel } from '../engine';
import { fingerprints } from './fingerprint';
import { portablePath, type LintReport } from './report';
import { TOOL_NAME, TOOL_URI, TOOL_VERSION } from './version';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';
export const FINGERPRINT_KEY = 'heaplint/v1';

type SarifLevel = 'none' | 'note' | 'warning' | 'error';
type Json = Record<string, unknown>;

export function sarifLevel(s: SeverityLevel): SarifLevel {
  return s === 'info' ? 'note' : s;
}

/** "mixed-heap" -> "MixedHeap": SARIF's rule `name` is an identifier-like, non-localised name. */
export function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** The notification kinds heaplint reports about itself (tool.driver.notifications). */
const NOTIFICATIONS = [
  { id: 'skipped-file', text: 'A file or folder was not linted (missing, unreadable, binary or too large).' },
  { id: 'analysis-problem', text: 'The engine could not analyse part of a file; the rest was analysed.' },
  { id: 'config-problem', text: 'heaplint.json has an invalid entry; the entry was ignored and the rest applied.' },
] as const;

function notificationRef(id: (typeof NOTIFICATIONS)[number]['id']): Json {
  return { id, index: NOTIFICATIONS.findIndex(n => n.id === id) };
}

function withTrailingSlash(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}

function region(r: Range): Json {
  return { startLine: r.startLine + 1, startColumn: r.startCol + 1, endLine: r.endLine + 1, endColumn: r.endCol + 1 };
}

export function formatSarif(report: LintReport): string {
  const cwd = report.cwd;

  // Artifacts: every file the log mentions, each once, in first-mention order.
  const artifacts: Json[] = [];
  const artifactIndex = new Map<string, number>();
  const artifactLocation = (abs: string): Json => {
    let index = artifactIndex.get(abs);
    const rel = portablePath(abs, cwd);
    const inside = !rel.startsWith('../') && rel !== '..' && !rel.startsWith('/') && !/^[A-Za-z]:/.test(rel);
    const loc: Json = inside
      ? { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT }
      : { uri: pathToFileURL(abs).href };
    if (index === undefined) {
      index = artifacts.length;
      artifactIndex.set(abs, index);
      artifacts.push({ location: { ...loc }, ...(/\.[ch]$/.test(abs) ? { sourceLanguage: 'c' } : {}) });
    }
    return { ...loc, index };
  };
  for (const f of report.linted) artifactLocation(f);

  const physical = (file: string, r: Range): Json => ({ artifactLocation: artifactLocation(file), region: region(r) });

  const rules = RULES.map(r => ({
    id: r.id,
    name: ruleName(r.id),
    shortDescription: { text: r.title },
    helpUri: ruleDocsUrl(r.id),
    help: { text: `${r.title}. See ${ruleDocsUrl(r.id)}`, markdown: `${r.title}. See [${r.id}](${ruleDocsUrl(r.id)}).` },
    defaultConfiguration: { level: sarifLevel(r.severity) },
    properties: { tags: ['memory', 'cpython-c-api', ...(r.pathDependent ? ['path-dependent'] : [])] },
  }));
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));

  const prints = fingerprints(report.findings, f => portablePath(f, cwd), f => report.texts.get(f));
  const related = (s: Related, i: number): Json => ({ id: i + 1, physicalLocation: physical(s.file, s.range), message: { text: s.message } });
  const result = (f: Finding, i: number): Json => {
    const out: Json = {
      ruleId: f.rule,
      ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [
        {
          physicalLocation: physical(f.file, f.range),
          ...(f.function ? { logicalLocations: [{ name: f.function, kind: 'function' }] } : {}),
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: prints[i] },
    };
    if (f.related.length > 0) out.relatedLocations = f.related.map(related);
    if (f.flow && f.flow.length > 0) {
      const steps = f.flow;
      out.codeFlows = [
        {
          message: { text: `${steps.length} steps to the ${f.rule} finding` },
          threadFlows: [
            {
              locations: steps.map((s, k) => ({
                location: { physicalLocation: physical(s.file, s.range), message: { text: s.message } },
                executionOrder: k + 1,
                importance: k === 0 || k === steps.length - 1 ? 'essential' : 'important',
              })),
            },
          ],
        },
      ];
    }
    if (f.fix) {
      out.fixes = [
        {
          description: { text: `Call ${f.fix.with}() instead` },
          artifactChanges: [
            {
              artifactLocation: artifactLocation(f.file),
              replacements: [{ deletedRegion: region(f.fix.replace), insertedContent: { text: f.fix.with } }],
            },
          ],
        },
      ];
    }
    return out;
  };
  const results = report.findings.map(result);

  const fileNotification = (file: string, text: string, kind: 'skipped-file' | 'analysis-problem'): Json => ({
    level: 'warning',
    message: { text: `${portablePath(file, cwd)}: ${text}` },
    locations: [{ physicalLocation: { artifactLocation: artifactLocation(file) } }],
    descriptor: notificationRef(kind),
  });
  const executionNotes = [
    ...report.skipped.map(s => fileNotification(s.file, s.reason, 'skipped-file')),
    ...report.engineProblems.map(p => fileNotification(p.file, p.message, 'analysis-problem')),
  ];
  const configNotes = report.configProblems.map(p => ({
    level: 'error',
    message: { text: `${p.path}: ${p.message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactLocation(p.file),
          ...(p.line !== undefined ? { region: { startLine: p.line + 1 } } : {}),
        },
      },
    ],
    descriptor: notificationRef('config-problem'),
  }));
  const overrides = Object.entries(report.severities)
    .filter(([id]) => ruleIndex.has(id))
    .map(([id, setting]) => ({
      descriptor: { id, index: ruleIndex.get(id) },
      configuration: setting === 'off' ? { enabled: false } : { enabled: true, level: sarifLevel(setting) },
    }));

  const invocation: Json = {
    executionSuccessful: report.executionSuccessful,
    startTimeUtc: report.startTime.toISOString(),
    endTimeUtc: report.endTime.toISOString(),
    workingDirectory: { uri: withTrailingSlash(pathToFileURL(cwd).href) },
  };
  if (overrides.length > 0) invocation.ruleConfigurationOverrides = overrides;
  if (executionNotes.length > 0) invocation.toolExecutionNotifications = executionNotes;
  if (configNotes.length > 0) invocation.toolConfigurationNotifications = configNotes;

  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: TOOL_VERSION,
            semanticVersion: TOOL_VERSION,
            informationUri: TOOL_URI,
            rules,
            notifications: NOTIFICATIONS.map(n => ({ id: n.id, shortDescription: { text: n.text } })),
          },
        },
        invocations: [invocation],
        originalUriBaseIds: { [SRCROOT]: { uri: withTrailingSlash(pathToFileURL(cwd).href) } },
        artifacts,
        results,
        columnKind: 'utf16CodeUnits',
        properties: { python: report.python, ...(report.configFile ? { config: portablePath(report.configFile, cwd) } : {}) },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
