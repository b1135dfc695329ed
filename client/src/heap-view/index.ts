/**
 * The Heap View's client side: the two commands, the webview panel, the current-line highlight and
 * the round trips to the server (`heaplint/simulateHeap`).
 *
 * HOW TO WIRE IT (for client/src/extension.ts): it is a Feature like the others, so
 *
 *   import * as heapView from './heap-view';
 *   const FEATURES: Feature[] = [..., heapView];   // activate(heaplintContext) registers the commands
 *
 * (`heapView.activate(extensionContext, client)` works too.) Disposables go to the extension's
 * subscriptions.
 * The commands and their menus are contributed in package.json (heaplint.simulateHeapForFunction,
 * heaplint.simulateHeapTraceFile). The server must have called registerSimulateHeap
 * (server/src/lsp/simulate-heap.ts). The page itself lives in client/media/heap-view/, which must be
 * packaged with the extension (it is not bundled by esbuild).
 */
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { HeapCommands, SimulateHeapRequest, type SimulateHeapParams, type SimulateHeapResult } from '../../../server/src/lsp/protocol/heap';
import type { HeaplintContext } from '../context';
import { heapViewHtml, makeNonce } from './html';

const VIEW_TYPE = 'heaplint.heapView';

interface Request {
  uri: string;
  position?: { line: number; character: number };
  defaultSize?: number;
  python?: string;
  arenaAlignment?: 'aligned' | 'misaligned';
}

type FromView =
  | { type: 'ready' }
  | { type: 'line'; line: number }
  | { type: 'reveal'; line: number }
  | { type: 'resimulate'; defaultSize?: number; python?: string; arenaAlignment?: 'aligned' | 'misaligned' }
  | { type: 'openTrace' };

class HeapViewPanel {
  private static current: HeapViewPanel | undefined;
  private result: SimulateHeapResult | undefined;
  private request: Request | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private generation = 0;

  static show(context: vscode.ExtensionContext, client: BaseLanguageClient, highlight: vscode.TextEditorDecorationType): HeapViewPanel {
    if (HeapViewPanel.current) {
      HeapViewPanel.current.panel.reveal(undefined, true);
      return HeapViewPanel.current;
    }
    const media = vscode.Uri.joinPath(context.extensionUri, 'client', 'media', 'heap-view');
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Heap View', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    HeapViewPanel.current = new HeapViewPanel(panel, media, client, highlight);
    return HeapViewPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    media: vscode.Uri,
    private readonly client: BaseLanguageClient,
    private readonly highlight: vscode.TextEditorDecorationType,
  ) {
    const w = panel.webview;
    w.html = heapViewHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scripts: ['heap-model.js', 'heap-view.js'].map((f) => w.asWebviewUri(vscode.Uri.joinPath(media, f)).toString()),
      style: w.asWebviewUri(vscode.Uri.joinPath(media, 'heap-view.css')).toString(),
    });
    this.disposables.push(
      w.onDidReceiveMessage((m: FromView) => this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  async simulate(req: Request): Promise<void> {
    this.request = req;
    const generation = ++this.generation;
    void this.panel.webview.postMessage({ type: 'busy', message: 'Simulating…' });
    const params: SimulateHeapParams = { uri: req.uri, position: req.position, defaultSize: req.defaultSize, python: req.python, arenaAlignment: req.arenaAlignment };
    let result: SimulateHeapResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'HeapLint: simulating the heap' }, () =>
        this.client.sendRequest(SimulateHeapRequest.type, params),
      );
    } catch (err) {
      if (generation === this.generation) void this.panel.webview.postMessage({ type: 'error', message: `The simulation failed: ${(err as Error).message}` });
      return;
    }
    if (generation !== this.generation) return;
    this.result = result;
    this.panel.title = `Heap View: ${result.title}`;
    if (this.ready) void this.panel.webview.postMessage({ type: 'load', result });
  }

  private onMessage(m: FromView): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.result) void this.panel.webview.postMessage({ type: 'load', result: this.result });
        break;
      case 'line':
        this.showLine(m.line);
        break;
      case 'reveal':
        void this.reveal(m.line);
        break;
      case 'resimulate':
        if (this.request) {
          void this.simulate({
            ...this.request,
            defaultSize: m.defaultSize ?? this.request.defaultSize,
            python: m.python ?? this.request.python,
            arenaAlignment: m.arenaAlignment ?? this.request.arenaAlignment,
          });
        }
        break;
      case 'openTrace':
        if (this.result?.heaptrace) {
          void vscode.workspace.openTextDocument({ language: 'heaptrace', content: this.result.heaptrace }).then((d) => vscode.window.showTextDocument(d, vscode.ViewColumn.One));
        }
        break;
    }
  }

  /** Highlights the line of the current step in every editor showing the simulated document. */
  private showLine(line: number): void {
    const uri = this.result?.uri;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri) continue;
      if (line < 1 || line > editor.document.lineCount) {
        editor.setDecorations(this.highlight, []);
        continue;
      }
      const range = editor.document.lineAt(line - 1).range;
      editor.setDecorations(this.highlight, [range]);
      if (!editor.visibleRanges.some((r) => r.contains(range))) editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  private async reveal(line: number): Promise<void> {
    if (!this.result || line < 1) return;
    const uri = vscode.Uri.parse(this.result.uri);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.result!.uri);
    const doc = shown?.document ?? (await vscode.workspace.openTextDocument(uri));
    const range = doc.lineAt(Math.min(line, doc.lineCount) - 1).range;
    await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, selection: new vscode.Selection(range.start, range.end) });
  }

  private dispose(): void {
    HeapViewPanel.current = undefined;
    for (const e of vscode.window.visibleTextEditors) e.setDecorations(this.highlight, []);
    for (const d of this.disposables) d.dispose();
  }
}

function isTrace(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'heaptrace' || doc.uri.path.endsWith('.heaptrace');
}

/**
 * Registers the Heap View commands. Call once, after the language client is created: either
 * `activate(extensionContext, client)` or, as a feature of extension.ts, `activate(heaplintContext)`.
 */
export function activate(ctx: vscode.ExtensionContext | HeaplintContext, languageClient?: BaseLanguageClient): void {
  const feature = 'client' in ctx && 'output' in ctx;
  const context: vscode.ExtensionContext = feature ? (ctx as HeaplintContext).extension : (ctx as vscode.ExtensionContext);
  const client = languageClient ?? (feature ? (ctx as HeaplintContext).client : undefined);
  if (!client) throw new Error('heap-view: activate() needs the language client');
  const highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  context.subscriptions.push(
    highlight,
    vscode.commands.registerCommand(HeapCommands.simulateFunction, async (uri?: string, position?: { line: number; character: number }) => {
      const editor = vscode.window.activeTextEditor;
      if (!uri) {
        if (!editor || isTrace(editor.document)) {
          if (editor && isTrace(editor.document)) return vscode.commands.executeCommand(HeapCommands.simulateTraceFile);
          void vscode.window.showInformationMessage('HeapLint: put the cursor inside a C function to simulate its heap.');
          return;
        }
        uri = editor.document.uri.toString();
        position = { line: editor.selection.active.line, character: editor.selection.active.character };
      }
      await HeapViewPanel.show(context, client, highlight).simulate({ uri, position });
    }),
    vscode.commands.registerCommand(HeapCommands.simulateTraceFile, async (uri?: string | vscode.Uri) => {
      let target = typeof uri === 'string' ? uri : uri?.toString();
      if (!target) {
        const editor = vscode.window.activeTextEditor;
        if (!editor || !isTrace(editor.document)) {
          void vscode.window.showInformationMessage('HeapLint: open a .heaptrace file to simulate it.');
          return;
        }
        target = editor.document.uri.toString();
      }
      await HeapViewPanel.show(context, client, highlight).simulate({ uri: target });
    }),
  );
}
