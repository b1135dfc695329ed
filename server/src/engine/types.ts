/** What the engine reports. Positions are 0-based lines and UTF-16 columns, like LSP. */

export interface Range {
  startLine: number;
  startCol: number;
  endLine: number;
  endCol: number;
}

export interface Related {
  file: string;
  range: Range;
  message: string;
}

export type SeverityLevel = 'info' | 'warning' | 'error';

export interface Finding {
  rule: string;
  severity: SeverityLevel;
  file: string;
  range: Range;
  message: string;
  /** Allocation site, earlier release … in the order a reader follows them. */
  related: Related[];
  /** The steps of a path-dependent finding, ending at the finding itself. */
  flow?: Related[];
  /** The deallocator that fixes a wrong release, when the model knows it (for quick fixes). */
  fix?: { replace: Range; with: string };
  /** Name of the function the finding is in. */
  function?: string;
}

export interface SourceFile {
  path: string;
  text: string;
}

export interface FileProblem {
  file: string;
  message: string;
}
