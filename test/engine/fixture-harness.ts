/**
 * The data-driven check behind the fixture suite: a fixture is a C file (or a `.multi` folder of files
 * analysed together) whose offending lines carry `/* expect: rule-id *\/`. Every expected finding
 * must be reported and nothing else.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzeProject } from '../../server/src/engine';
import { modelFor, parseConfig } from '../../allocator-model/src';

export interface FixtureUnit {
  name: string;
  files: string[];
  config?: string;
}

export function collectUnits(root: string): FixtureUnit[] {
  const units: FixtureUnit[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) {
        if (entry.endsWith('.multi')) {
          const files = readdirSync(p).filter(f => /\.[ch]$/.test(f)).sort().map(f => join(p, f));
          const cfg = join(p, 'heaplint.json');
          units.push({ name: relative(root, p), files, config: existsSync(cfg) ? cfg : undefined });
        } else visit(p);
      } else if (entry.endsWith('.c')) {
        units.push({ name: relative(root, p), files: [p] });
      }
    }
  };
  visit(root);
  return units;
}

const EXPECT = /\/\*\s*expect:\s*([a-z0-9, -]+?)\s*\*\//g;

export function expectedFindings(files: string[], root: string): string[] {
  const out: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      for (const m of line.matchAll(EXPECT)) {
        for (const id of m[1].split(/[\s,]+/).filter(Boolean)) out.push(`${relative(root, f)}:${i + 1}: ${id}`);
      }
    });
  }
  return out.sort();
}

export function actualFindings(unit: FixtureUnit, root: string): { lines: string[]; messages: string[] } {
  let model = modelFor();
  if (unit.config) {
    const { config } = parseConfig(readFileSync(unit.config, 'utf8'), unit.config);
    model = modelFor(config);
  }
  const files = unit.files.map(p => ({ path: p, text: readFileSync(p, 'utf8') }));
  const result = analyzeProject(files, { model });
  const lines = result.findings.map(f => `${relative(root, f.file)}:${f.range.startLine + 1}: ${f.rule}`).sort();
  const messages = result.findings.map(f => `${relative(root, f.file)}:${f.range.startLine + 1}: ${f.rule}: ${f.message}`);
  return { lines, messages };
}
