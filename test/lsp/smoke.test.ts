import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, LspClient } from './lsp-client';

describe('smoke', () => {
  let c: LspClient;
  beforeAll(async () => { c = await LspClient.start({}); });
  afterAll(async () => { await c?.stop(); });
  it('publishes', async () => {
    const uri = c.open(join(FIXTURES, 'mixed-heap/alias-through-casts.c'));
    const d = await c.diagnosticsFor(uri);
    console.log(JSON.stringify(d, null, 1));
    console.log(c.logs.join('\n'));
    console.log(JSON.stringify(c.statuses));
    expect(d.length).toBeGreaterThan(0);
  });
});
