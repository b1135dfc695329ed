/**
 * Code actions, as a table of what each heaplint diagnostic offers:
 *  - replace the deallocator with the one the allocation's family needs (preferred quick fix);
 *  - the same for every such finding in the file (also as `source.fixAll.heaplint`, for
 *    `editor.codeActionsOnSave`);
 *  - suppress the rule on this line with a `heaplint-ignore-next-line` comment (the syntax the CLI reads);
 *  - remove a suppression comment nothing uses;
 *  - open the rule's documentation.
 * Edits are computed against the current text, and a fix whose target no longer reads as an
 * identifier (the document moved on) is not offered.
 */
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseSuppressions } from '../engine';
import { DIAGNOSTIC_SOURCE, FIX_ALL_KIND, ServerCommands, type DiagnosticData } from './protocol';

export interface CodeActionInput {
  doc: TextDocument;
  params: CodeActionParams;
  /** Every heaplint diagnostic currently published for the document (for "fix all"). */
  published: readonly Diagnostic[];
  versioned: boolean;
}

function dataOf(d: Diagnostic): DiagnosticData | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE || typeof d.data !== 'object' || d.data === null) return undefined;
  const data = d.data as DiagnosticData;
  return typeof data.rule === 'string' ? data : undefined;
}

function wanted(only: string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some(o => kind === o || kind.startsWith(`${o}.`));
}

function edit(input: CodeActionInput, edits: TextEdit[]): WorkspaceEdit {
  const { doc } = input;
  if (input.versioned) return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] };
  return { changes: { [doc.uri]: edits } };
}

/** The deallocator replacement of a diagnostic, if its target still reads as an identifier. */
function fixEdit(doc: TextDocument, data: DiagnosticData): TextEdit | undefined {
  if (!data.fix) return undefined;
  const current = doc.getText(data.fix.range);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(current) || current === data.fix.newText) return undefined;
  if (data.fix.oldText !== undefined && current !== data.fix.oldText) return undefined;
  // the whole identifier, not a piece of a longer one
  const after = doc.getText({ start: data.fix.range.end, end: { line: data.fix.range.end.line, character: data.fix.range.end.character + 1 } });
  if (/[A-Za-z0-9_]/.test(after)) return undefined;
  return { range: data.fix.range, newText: data.fix.newText };
}

export function codeActions(input: CodeActionInput): CodeAction[] {
  const { doc, params } = input;
  const only = params.context.only;
  const actions: CodeAction[] = [];

  // source.fixAll.heaplint: asked for explicitly (on save, or "Fix all" in the source action menu).
  const allFixes = (): TextEdit[] => {
    const seen = new Set<string>();
    const edits: TextEdit[] = [];
    for (const d of input.published) {
      const data = dataOf(d);
      const e = data && fixEdit(doc, data);
      if (!e) continue;
      const key = `${e.range.start.line}:${e.range.start.character}`;
      if (!seen.has(key)) {
        seen.add(key);
        edits.push(e);
      }
    }
    return edits;
  };
  if (only && only.some(o => FIX_ALL_KIND === o || FIX_ALL_KIND.startsWith(`${o}.`)) && wanted(only, FIX_ALL_KIND)) {
    const edits = allFixes();
    if (edits.length) actions.push({ title: 'heaplint: fix every deallocator in this file', kind: FIX_ALL_KIND, edit: edit(input, edits) });
  }
  if (!wanted(only, CodeActionKind.QuickFix)) return actions;

  const suppressed = new Set<string>();
  const docsOffered = new Set<string>();
  for (const d of params.context.diagnostics) {
    const data = dataOf(d);
    if (!data) continue;
    if (data.unusedSuppression) {
      actions.push(removeSuppression(input, d));
      continue;
    }
    const fix = fixEdit(doc, data);
    if (fix) {
      actions.push({
        title: `Release with ${fix.newText}() instead of ${doc.getText(fix.range)}()`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: edit(input, [fix]),
      });
      const others = allFixes();
      if (others.length > 1) {
        actions.push({
          title: `Fix all ${others.length} deallocator mismatches in this file`,
          kind: CodeActionKind.QuickFix,
          edit: edit(input, others),
        });
      }
    }
    const line = d.range.start.line;
    if (!suppressed.has(`${line}|${data.rule}`)) {
      suppressed.add(`${line}|${data.rule}`);
      actions.push(suppress(input, d, data.rule));
    }
    if (!docsOffered.has(data.rule)) {
      docsOffered.add(data.rule);
      actions.push({
        title: `Show documentation for ${data.rule}`,
        kind: CodeActionKind.QuickFix,
        command: { title: `Open ${data.rule} documentation`, command: ServerCommands.openRuleDocs, arguments: [data.rule] },
      });
    }
  }
  return actions;
}

/**
 * `/* heaplint-ignore-next-line rule *\/` above the line, indented like it; if the line above already
 * holds such a comment, the rule joins its list instead.
 */
function suppress(input: CodeActionInput, d: Diagnostic, rule: string): CodeAction {
  const { doc } = input;
  const line = d.range.start.line;
  const text = lineText(doc, line);
  const indent = /^[ \t]*/.exec(text)![0];
  let edits: TextEdit[];
  const above = line > 0 ? lineText(doc, line - 1) : '';
  const existing = parseSuppressions(above).find(s => s.line === 1 && s.rules);
  const m = existing && /heaplint-ignore-next-line\s+([^*\n]*?)\s*\*\//.exec(above);
  if (existing && m) {
    const idsEnd = m.index + m[0].lastIndexOf(m[1]) + m[1].length;
    edits = [{ range: { start: { line: line - 1, character: idsEnd }, end: { line: line - 1, character: idsEnd } }, newText: `, ${rule}` }];
  } else {
    edits = [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}/* heaplint-ignore-next-line ${rule} */\n` }];
  }
  return { title: `Suppress ${rule} on this line`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: edit(input, edits) };
}

function removeSuppression(input: CodeActionInput, d: Diagnostic): CodeAction {
  const { doc } = input;
  const line = d.range.start.line;
  const text = lineText(doc, line);
  const comment = text.slice(d.range.start.character);
  const blockEnd = comment.startsWith('/*') ? comment.indexOf('*/') : -1;
  const end = blockEnd >= 0 ? d.range.start.character + blockEnd + 2 : text.length;
  const rest = (text.slice(0, d.range.start.character) + text.slice(end)).trim();
  const range =
    rest === ''
      ? { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }
      : { start: { line, character: d.range.start.character }, end: { line, character: end } };
  return { title: 'Remove unused heaplint suppression', kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: edit(input, [{ range, newText: '' }]) };
}

function lineText(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}
