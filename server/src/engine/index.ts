/** The analysis engine's public face: shared by the CLI, the language server and the tests. */
export { initParser } from './parse/parser';
export { analyzeProject, type ProjectOptions, type ProjectResult, type ProjectStats, type UnusedSuppression } from './project/project';
export { RULES, RULE_IDS, ruleDocsUrl, type RuleId } from './rules/catalog';
export { parseSuppressions, isSuppressed } from './suppress';
export type { Finding, Range, Related, SeverityLevel, SourceFile, FileProblem } from './types';
export { Workspace, type Settling, type WorkspaceOptions } from './workspace';
