/**
 * The server's side of the language status item: what the model is, how many files are indexed, how
 * long the last analysis took. A file that takes longer than the budget turns the status into a
 * warning and is logged with its statistics, so "why is it slow" has an answer.
 */
import type { ProjectStats } from '../engine';
import type { ServerContext } from './context';
import { shortName } from './convert';
import type { Project } from './projects';
import { StatusNotification, type StatusParams, type StatusState } from './protocol';

/** One file's analysis should stay under this; above it the status item warns. */
export const ANALYSIS_BUDGET_MS = 1000;

export class StatusReporter {
  private last: StatusParams | undefined;

  constructor(private readonly ctx: ServerContext) {}

  analysed(project: Project, uri: string, ms: number, stats: ProjectStats | undefined): void {
    const slow = ms > ANALYSIS_BUDGET_MS;
    let message: string | undefined;
    if (slow) {
      message = `${shortName(uri)} took ${(ms / 1000).toFixed(1)} s to analyse (budget ${ANALYSIS_BUDGET_MS / 1000} s)`;
      const detail = stats
        ? ` — ${stats.files} files, ${stats.functions} functions (${stats.analysed} analysed, ${stats.gaveUp} too complex), parse ${Math.round(stats.parseMs)} ms, analysis ${Math.round(stats.analysisMs)} ms`
        : '';
      this.ctx.log.warn(`${message}${detail}`);
    }
    this.send(project, slow ? 'slow' : 'ready', { lastUri: uri, lastMs: Math.round(ms), lastAt: Date.now(), message });
  }

  failed(project: Project, uri: string, message: string): void {
    this.send(project, 'error', { lastUri: uri, lastAt: Date.now(), message });
  }

  scanning(project: Project, message: string): void {
    this.send(project, 'scanning', { message });
  }

  ready(project: Project): void {
    this.send(project, 'ready', {});
  }

  private send(project: Project, state: StatusState, extra: Partial<StatusParams>): void {
    const params: StatusParams = {
      state,
      python: project.python,
      model: project.describeModel(),
      indexedFiles: project.workspace.size,
      budgetMs: ANALYSIS_BUDGET_MS,
      ...(state === 'scanning' || state === 'ready' ? { lastUri: this.last?.lastUri, lastMs: this.last?.lastMs, lastAt: this.last?.lastAt } : {}),
      ...extra,
    };
    if (state !== 'scanning') this.last = params;
    void this.ctx.connection.sendNotification(StatusNotification.type, params).catch(() => undefined);
  }
}
