/**
 * The language status item next to the C language indicator: model and Python version, how many
 * files are indexed, how long the last analysis took. It turns into a warning when a file takes
 * longer than the server's budget, and into an error when an analysis failed.
 */
import * as vscode from 'vscode';
import { ClientCommands, StatusNotification, type StatusParams } from '../../server/src/lsp/protocol';
import { C_SELECTOR } from './client';
import type { HeaplintContext } from './context';

function describe(p: StatusParams): { text: string; detail: string; severity: vscode.LanguageStatusSeverity; busy: boolean } {
  const files = `${p.indexedFiles} file${p.indexedFiles === 1 ? '' : 's'}`;
  const last = p.lastMs !== undefined ? `last analysis ${p.lastMs} ms${p.lastAt ? ` at ${new Date(p.lastAt).toLocaleTimeString()}` : ''}` : 'no analysis yet';
  const base = `Python ${p.python} · ${p.model} model · ${files} · ${last}`;
  switch (p.state) {
    case 'scanning':
      return { text: 'HeapLint: indexing', detail: p.message ?? base, severity: vscode.LanguageStatusSeverity.Information, busy: true };
    case 'slow':
      return { text: 'HeapLint: slow', detail: `${p.message ?? ''} — ${base}`, severity: vscode.LanguageStatusSeverity.Warning, busy: false };
    case 'error':
      return { text: 'HeapLint: error', detail: p.message ?? base, severity: vscode.LanguageStatusSeverity.Error, busy: false };
    case 'starting':
      return { text: 'HeapLint', detail: 'starting', severity: vscode.LanguageStatusSeverity.Information, busy: true };
    default:
      return { text: `HeapLint ${p.python}`, detail: base, severity: vscode.LanguageStatusSeverity.Information, busy: false };
  }
}

export function activate({ extension, client }: HeaplintContext): void {
  const item = vscode.languages.createLanguageStatusItem('heaplint.status', C_SELECTOR);
  item.name = 'HeapLint';
  item.text = 'HeapLint';
  item.detail = 'starting';
  item.busy = true;
  item.command = { title: 'Show Output', command: ClientCommands.showOutput };
  extension.subscriptions.push(
    item,
    client.onNotification(StatusNotification.type, p => {
      const d = describe(p);
      item.text = d.text;
      item.detail = d.detail;
      item.severity = d.severity;
      item.busy = d.busy;
    }),
  );
}
