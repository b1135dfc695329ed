/**
 * Hover, in three parts, each present when it applies:
 *  - on a finding's range: the rule, the explanation and the path that leads to it;
 *  - on an allocator, deallocator or other API the model knows: its family, the matching
 *    deallocator, the GIL requirement, version notes and the docs link;
 *  - on a pointer expression: what it holds at that point, as the engine describes it.
 */
import type { Hover, MarkupContent, Position, Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Api, Family } from '../../../allocator-model/src/types';
import type { Model } from '../../../allocator-model/src/model';
import { RULES, ruleDocsUrl, type Finding, type Workspace } from '../engine';
import { fileUri, shortName } from './convert';

/** The identifier under the cursor and its range, or undefined between words. */
export function wordAt(doc: TextDocument, pos: Position): { word: string; range: Range; after: string } | undefined {
  const line = doc.getText({ start: { line: pos.line, character: 0 }, end: { line: pos.line + 1, character: 0 } });
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
  let s = pos.character;
  let e = pos.character;
  while (s > 0 && isWord(line[s - 1])) s--;
  while (e < line.length && isWord(line[e])) e++;
  if (s === e || /^[0-9]/.test(line[s])) return undefined;
  return {
    word: line.slice(s, e),
    range: { start: { line: pos.line, character: s }, end: { line: pos.line, character: e } },
    after: line.slice(e).trimStart(),
  };
}

function contains(f: Finding, pos: Position): boolean {
  const r = f.range;
  if (pos.line < r.startLine || pos.line > r.endLine) return false;
  if (pos.line === r.startLine && pos.character < r.startCol) return false;
  if (pos.line === r.endLine && pos.character > r.endCol) return false;
  return true;
}

function where(file: string, line: number, here: string): string {
  const label = file === here ? `line ${line + 1}` : `${shortName(file)}:${line + 1}`;
  return `[${label}](${fileUri(file)}#L${line + 1})`;
}

/** The findings under the cursor, each with its path. */
export function findingHover(findings: readonly Finding[], pos: Position, path: string): string | undefined {
  const hit = findings.filter(f => contains(f, pos));
  if (!hit.length) return undefined;
  return hit
    .map(f => {
      const title = RULES.find(r => r.id === f.rule)?.title ?? f.rule;
      const parts = [`**heaplint: ${title}** (\`${f.rule}\`)`, escape(f.message)];
      const steps = f.flow?.length ? f.flow : f.related;
      if (steps.length) {
        parts.push(
          `${f.flow?.length ? 'Path' : 'Related'}:\n\n${steps.map((s, i) => `${i + 1}. ${where(s.file, s.range.startLine, path)}: ${escape(s.message)}`).join('\n')}`,
        );
      }
      if (f.fix) parts.push(`Quick fix: release with \`${f.fix.with}()\`.`);
      parts.push(`[Rule documentation](${ruleDocsUrl(f.rule)})`);
      return parts.join('\n\n');
    })
    .join('\n\n---\n\n');
}

const GIL_TEXT: Record<string, string> = {
  required: 'call it with the GIL held',
  free: 'callable without the GIL',
};

const KIND_TEXT: Record<string, string> = {
  alloc: 'allocator',
  realloc: 'reallocator',
  free: 'deallocator',
  result: 'returns memory the caller must release',
  'out-alloc': 'allocates into an out-parameter',
  'typed-alloc': 'allocates an object of a type',
  borrowed: 'returns a borrowed pointer',
  'borrowed-out': 'stores a borrowed pointer in an out-parameter',
  opaque: 'returns a pointer someone else owns',
  newref: 'returns a new reference',
  'gil-release': 'releases the GIL',
  'gil-acquire': 'acquires the GIL',
  'gil-restore-unknown': 'restores the GIL state saved earlier',
};

/** Allocators of a family, for the hover of its deallocator. */
function allocatorsOf(model: Model, family: string): string[] {
  const out: string[] = [];
  for (const a of model.apis.values()) {
    if (a.family === family && (a.kind === 'alloc' || a.kind === 'realloc' || a.kind === 'result' || a.kind === 'out-alloc') && !a.aliasOf && !a.private) out.push(a.name);
  }
  return out;
}

/** Markdown about one API of the model, or undefined when the model does not know the name. */
export function apiHover(model: Model, name: string): string | undefined {
  const present = model.apis.get(name);
  const api: Api | undefined = present ?? model.absentApis.get(name);
  if (!api) return undefined;
  const family: Family | undefined = api.family ? model.families.get(api.family) : undefined;
  const lines: string[] = [];
  lines.push(`**${name}**${api.macro ? ' (macro)' : ''} — ${KIND_TEXT[api.kind] ?? api.kind}${family ? `, ${escape(family.label)}` : api.family ? `, family \`${api.family}\`` : ''}`);
  const facts: string[] = [];
  if (api.aliasOf) facts.push(`Alias of \`${api.aliasOf}\`.`);
  switch (api.kind) {
    case 'alloc':
    case 'realloc':
    case 'result':
    case 'out-alloc':
    case 'typed-alloc':
      if (family?.release) facts.push(`Release with \`${family.release}()\`.`);
      else if (api.family === 'type-dependent') facts.push('Release through the type: `Py_DECREF()` or its `tp_free` slot.');
      break;
    case 'free': {
      if (family) {
        const allocs = allocatorsOf(model, family.id);
        if (allocs.length) facts.push(`Releases memory from ${allocs.slice(0, 6).map(a => `\`${a}()\``).join(', ')}${allocs.length > 6 ? ', …' : ''} — nothing else.`);
      }
      break;
    }
    case 'borrowed':
    case 'borrowed-out':
    case 'opaque':
      facts.push(`The memory belongs to ${escape(api.owner ?? 'its owner')}: do not release it.`);
      break;
    case 'newref':
      facts.push('Release the object with `Py_DECREF()`, never with a memory deallocator.');
      break;
  }
  if (family?.heap) facts.push(`Heap: ${escape(family.heap)}.`);
  const gil = api.gil ?? family?.gil;
  if (gil && GIL_TEXT[gil]) facts.push(`GIL: ${GIL_TEXT[gil]}.`);
  const versions: string[] = [];
  if (api.since) versions.push(`since Python ${api.since}`);
  if (api.until) versions.push(`removed in Python ${api.until}`);
  if (api.freeThreaded === 'absent') versions.push('absent from free-threaded builds');
  if (versions.length) facts.push(`Versions: ${versions.join(', ')}.`);
  if (!present) facts.push(`⚠️ Not available in Python ${model.python.label}, the version heaplint checks against.`);
  if (api.private) facts.push('Private API: may change without notice.');
  if (api.note) facts.push(`Note: ${escape(api.note)}.`);
  lines.push(facts.join('  \n'));
  const docs = api.docs ?? family?.docs;
  if (docs) lines.push(`[Documentation](${docs})`);
  return lines.join('\n\n');
}

const C_KEYWORDS = new Set(
  ('auto break case char const continue default do double else enum extern float for goto if inline int long register ' +
    'restrict return short signed sizeof static struct switch typedef union unsigned void volatile while NULL _Bool bool true false').split(' '),
);

/**
 * Whether the word could name a pointer worth describing: not a keyword, not an API the model knows,
 * not the callee of a call (describing costs an analysis of the function).
 */
export function mayBePointer(word: { word: string; after: string }, model: Model): boolean {
  if (C_KEYWORDS.has(word.word) || model.apis.has(word.word) || model.absentApis.has(word.word)) return false;
  if (word.after.startsWith('(')) return false;
  return !/^[A-Z][A-Z0-9_]+$/.test(word.word); // macros and constants
}

/** The engine's description of the pointer under the cursor, when this engine version has one. */
export function pointerHover(workspace: Workspace, path: string, pos: Position): string | undefined {
  const describe = (workspace as unknown as { describeAt?: (path: string, line: number, col: number) => string | undefined }).describeAt;
  if (typeof describe !== 'function') return undefined;
  return describe.call(workspace, path, pos.line, pos.character) || undefined;
}

export function combine(sections: (string | undefined)[], range: Range | undefined): Hover | null {
  const parts = sections.filter((s): s is string => !!s && s.trim() !== '');
  if (!parts.length) return null;
  const contents: MarkupContent = { kind: 'markdown', value: parts.join('\n\n---\n\n') };
  return range ? { contents, range } : { contents };
}

/** Markdown-escapes text that comes from source code or messages (identifiers with `_`, `*` in types). */
function escape(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1');
}
