import { Logger } from '@nestjs/common';
import { buildDeliveryStatus, buildWebhookPayload, signNetcorePayload } from '../src/testing';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { TEST_SECRET, postSigned } from './support/webhook-client';

interface Line {
  level: 'debug' | 'log' | 'warn' | 'error';
  context: string | undefined;
  message: string;
}

describe.each(DATABASES)('logging (%s)', (kind) => {
  let t: TestApp;
  let lines: Line[];
  const spies: jest.SpyInstance[] = [];
  beforeAll(async () => {
    t = await startHostApp(kind);
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    lines = [];
    for (const level of ['debug', 'log', 'warn', 'error'] as const) {
      spies.push(
        jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, message: unknown, ..._rest: unknown[]) {
          lines.push({ level, context: (this as unknown as { context?: string }).context, message: String(message) });
        }),
      );
    }
  });
  afterEach(() => spies.splice(0).forEach((s) => s.mockRestore()));

  it('writes one key=value debug line per batch with the Nest Logger, in the NetcoreWebhooks context', async () => {
    const good = buildDeliveryStatus();
    await postSigned(t.app, buildWebhookPayload(good, good, buildDeliveryStatus({ status: 'NOT A TOKEN' }))).expect(200);
    await t.settle();
    const batches = lines.filter((l) => l.message.startsWith('Batch of'));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ level: 'debug', context: 'NetcoreWebhooks' });
    expect(batches[0].message).toMatch(/^Batch of 3: accepted=1 duplicates=1 rejected=1 ms=\d+$/);
  });

  it('logs a rejected signature as a warning without the signature or the secret', async () => {
    const body = JSON.stringify(buildWebhookPayload(buildDeliveryStatus()));
    const signature = signNetcorePayload(body, 'wrong-secret');
    await postSigned(t.app, body, 'wrong-secret').expect(401);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].context).toBe('NetcoreWebhooks');
    expect(warnings[0].message).toMatch(/^Rejected webhook from /);
    expect(warnings[0].message).not.toContain(signature);
    expect(warnings[0].message).not.toContain(TEST_SECRET);
    expect(warnings[0].message).not.toContain('wrong-secret');
  });
});
