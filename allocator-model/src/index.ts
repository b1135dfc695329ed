export * from './types';
export * from './version';
export * from './model';
export * from './config';
export { bundledModelFiles } from './bundled';
import { bundledModelFiles } from './bundled';
import { buildModel, type Model } from './model';
import { configAsModelFile } from './config';
import type { WorkspaceConfig } from './types';
import { DEFAULT_PYTHON } from './version';

/** The bundled model resolved for a workspace's configuration. */
export function modelFor(config: WorkspaceConfig = {}, python?: string): Model {
  return buildModel([...Object.values(bundledModelFiles), configAsModelFile(config)], python ?? config.python ?? DEFAULT_PYTHON);
}
