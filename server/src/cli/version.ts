/** The tool's identity, as reported by --version, the JSON report and the SARIF driver. */
import pkg from '../../../package.json';

export const TOOL_NAME = 'heaplint';
export const TOOL_VERSION: string = (pkg as { version: string }).version;
export const TOOL_URI = 'https://github.com/heaplint/heaplint';
