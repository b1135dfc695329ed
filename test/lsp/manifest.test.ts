/**
 * The extension manifest against the code it describes: every setting the server reads is
 * contributed with the same default, every palette command exists, the JSON schema and icon are
 * where the manifest says, and the `$heaplint` problem matcher reads the CLI's text format.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_IDS, type Finding } from '../../server/src/engine';
import { formatFindingLine } from '../../server/src/cli/format-text';
import { ClientCommands, FIX_ALL_KIND } from '../../server/src/lsp/protocol';
import { Settings } from '../../server/src/lsp/settings';
import { ROOT, scratch } from './lsp-client';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; enum?: unknown[]; scope?: string; properties?: object }>;

describe('extension manifest', () => {
  it('contributes every setting the server reads, with the same defaults', () => {
    for (const [key, value] of Object.entries(Settings.defaults)) {
      const p = props[`heaplint.${key}`];
      expect(p, `heaplint.${key}`).toBeDefined();
      expect(p.default).toEqual(value === undefined ? '' : value);
      expect(p.scope).toBe('resource');
    }
    expect(props['heaplint.trace.server'].enum).toEqual(['off', 'messages', 'verbose']);
    expect(Object.keys(props['heaplint.rules'].properties!).sort()).toEqual([...RULE_IDS].sort());
    expect(props['heaplint.run'].enum).toEqual(['onType', 'onSave', 'off']);
  });

  it('normalises loose setting values instead of failing', () => {
    expect(Settings.from({ run: 'sometimes', debounceMs: '-5', pythonVersion: 3.11, rules: { leak: 'WARN', nope: 'off', 'double-free': 7 }, exclude: 'build/**', maxWorkspaceFiles: 'many' })).toEqual({
      run: 'onType',
      debounceMs: 300,
      pythonVersion: '3.11',
      rules: { leak: 'warning' },
      exclude: ['build/**'],
      maxWorkspaceFiles: 5000,
    });
    expect(Settings.from(null)).toEqual(Settings.defaults);
    expect(Settings.from({ debounceMs: 0, pythonVersion: '3.13t' })).toMatchObject({ debounceMs: 0, pythonVersion: '3.13t' });
  });

  it('has the palette commands, activation, trust, kind, icon and entry point', () => {
    const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const id of Object.values(ClientCommands)) expect(commands).toContain(id);
    expect(pkg.activationEvents).toContain('onLanguage:c');
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(expect.arrayContaining(['heaplint.maxWorkspaceFiles']));
    expect(pkg.extensionKind).toEqual(['workspace']);
    expect(existsSync(join(ROOT, pkg.icon))).toBe(true);
    expect(pkg.main).toBe('./dist/client.js');
    expect(pkg.scripts.package).toBeDefined();
    expect(FIX_ALL_KIND).toBe('source.fixAll.heaplint');
    // the heaptrace language stays contributed
    expect(pkg.contributes.languages.map((l: { id: string }) => l.id)).toContain('heaptrace');
  });

  it('validates heaplint.json with a schema that needs no network', async () => {
    const v = pkg.contributes.jsonValidation.find((j: { fileMatch: string }) => j.fileMatch === 'heaplint.json');
    expect(v.url).toBe('./dist/heaplint.schema.json');
    // the build writes it; build it here into a scratch file the same way
    const { bundleHeaplintSchema } = (await import(join(ROOT, 'scripts/bundle-schema.mjs'))) as { bundleHeaplintSchema(root: string, out: string): void };
    const out = join(scratch('schema'), 'heaplint.schema.json');
    bundleHeaplintSchema(ROOT, out);
    const text = readFileSync(out, 'utf8');
    const schema = JSON.parse(text);
    expect(schema.title).toBe('heaplint.json');
    expect(schema.$id).toBeUndefined(); // relative refs would resolve against an https $id
    expect(text.match(/"\$ref": "[^"]*"/g)!.every(r => r.includes('"#/definitions/'))).toBe(true);
    expect(Object.keys(schema.definitions)).toEqual(expect.arrayContaining(['api', 'family']));
  });

  it('reads the CLI text format with the $heaplint problem matcher', () => {
    const matcher = pkg.contributes.problemMatchers.find((m: { name: string }) => m.name === 'heaplint');
    const re = new RegExp(matcher.pattern.regexp);
    const finding: Finding = {
      rule: 'mixed-heap',
      severity: 'error',
      file: join(ROOT, 'src/spam module.c'),
      range: { startLine: 47, startCol: 4, endLine: 47, endCol: 14 },
      message: 'memory allocated by PyMem_Malloc() at line 41 is released by free(); release it with PyMem_Free() [see docs]',
      related: [],
    };
    const m = re.exec(formatFindingLine(finding, ROOT))!;
    expect(m).not.toBeNull();
    const at = (k: string) => m[matcher.pattern[k]];
    expect(at('file')).toBe('src/spam module.c');
    expect(at('line')).toBe('48');
    expect(at('column')).toBe('5');
    expect(at('severity')).toBe('error');
    expect(at('message')).toBe(finding.message);
    expect(at('code')).toBe('mixed-heap');
  });
});
