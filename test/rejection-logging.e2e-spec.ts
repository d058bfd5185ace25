import request from 'supertest';
import { NetcoreSecurityStats } from '../src';
import { buildDeliveryStatus, buildWebhookPayload, signNetcorePayload } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { SCHEME_SIGNERS, type SchemeSigner } from './support/scheme-signers';
import { ADAPTERS, startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH } from './support/webhook-client';

const variants = DATABASES.flatMap((db) => SCHEME_SIGNERS.map((signer) => [signer.scheme, db, signer] as const));

describe.each(variants)('rejection logs, scheme %s (%s)', (_scheme, kind, signer: SchemeSigner) => {
  const logger = new CapturingLogger();
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(
      kind,
      { webhooks: { verification: signer.verification([signer.secrets.current]), maxBodyBytes: 64 * 1024 } },
      { logger, prepare: (app) => app.useBodyParser('json', { limit: '1mb' }) },
    );
  });
  afterAll(() => t?.close());
  beforeEach(() => logger.clear());

  const post = (body: string, headers: Record<string, string>) =>
    request(t.app.getHttpServer()).post(WEBHOOK_PATH).set('content-type', 'application/json').set(headers).send(body);
  /** A body with a recognisable start and a long tail, so truncation shows. */
  const longBody = () => {
    const item = { ...buildDeliveryStatus(), status_remark: `MARKER-START ${'x'.repeat(5000)} MARKER-END` };
    return JSON.stringify(buildWebhookPayload(item));
  };

  it('logs a refused signature once, with the payload truncated and neither secret nor signature', async () => {
    const body = longBody();
    const sent = signer.sign(body, signer.secrets.retired);
    await post(body, sent).expect(401);
    const lines = logger.lines.filter((l) => l.message.startsWith('Rejected webhook'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', context: 'NetcoreWebhooks' });
    expect(lines[0].message).toContain('MARKER-START');
    expect(lines[0].message).not.toContain('MARKER-END');
    expect(lines[0].message).toMatch(/\(\d+ bytes\)/);
    expect(lines[0].message.length).toBeLessThan(1000);
    const everything = logger.text();
    for (const secret of Object.values(signer.secrets)) expect(everything).not.toContain(secret);
    for (const [name, value] of Object.entries(sent)) if (!['webhook-id', 'webhook-timestamp'].includes(name)) expect(everything).not.toContain(value);
  });

  it('logs an event accepted without its invalid fields, once, naming them, with the item', async () => {
    const item = { ...buildDeliveryStatus({ status: 'delivered' }), pricing: { billable: 'yes' }, status_remark: 42 };
    const body = JSON.stringify(buildWebhookPayload(item as never));
    const res = await post(body, signer.sign(body, signer.secrets.current)).expect(200);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    const lines = logger.lines.filter((l) => l.message.startsWith('Accepted an item without its invalid status_remark, pricing'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', context: 'NetcoreWebhooks' });
    expect(lines[0].message).toContain(item.ncmessage_id);
  });

  it('logs a refused item once, with its payload cut to a bounded line that gives its length', async () => {
    const item = { ...buildDeliveryStatus(), status: 'NOT A STATUS', status_remark: `MARKER-START ${'x'.repeat(5000)} MARKER-END` };
    const body = JSON.stringify(buildWebhookPayload(item));
    await post(body, signer.sign(body, signer.secrets.current)).expect(200, { accepted: 0, duplicates: 0, rejected: 1 });
    const lines = logger.lines.filter((l) => l.message.startsWith('Rejected item'));
    expect(lines).toHaveLength(1);
    expect(lines[0].message).toContain('MARKER-START');
    expect(lines[0].message).not.toContain('MARKER-END');
    expect(lines[0].message).toMatch(/\.\.\. \(\d+ chars\)$/);
    expect(lines[0].message.length).toBeLessThan(1000);
  });

  it('logs a body over maxBodyBytes (413) without the whole body', async () => {
    const item = { ...buildDeliveryStatus(), status_remark: 'y'.repeat(70 * 1024) };
    const body = JSON.stringify(buildWebhookPayload(item));
    const res = await post(body, signer.sign(body, signer.secrets.current)).expect(413);
    expect(res.body.message).toMatch(/exceeds 65536 bytes/);
    const line = logger.lines.find((l) => l.message.startsWith('Rejected webhook'))!;
    expect(line.message).toMatch(/exceeds maxBodyBytes \(65536\)/);
    expect(line.message.length).toBeLessThan(1000);
  });

  it('logs a multi-line payload on one line, with tabs and other control characters escaped', async () => {
    // Raw control characters are legal in JSON only as whitespace between tokens; escapes in strings stay as typed.
    // JSON.stringify leaves U+2028 (a line break to some log viewers) raw.
    const body = JSON.stringify(buildWebhookPayload({ ...buildDeliveryStatus(), status_remark: '\u001b[2J\u2028' }), null, '\t').replace(/\n/g, '\r\n');
    await post(body, signer.sign(body, signer.secrets.retired)).expect(401);
    const line = logger.lines.find((l) => l.message.startsWith('Rejected webhook'))!;
    expect(line.message).not.toMatch(/[\u0000-\u001f\u2028]/);
    expect(line.message).toContain('\\u0009"ncmessage_id"');
    expect(line.message).toContain('\\u001b[2J\\u2028');
  });
});

const platforms = ADAPTERS.flatMap((adapter) => DATABASES.map((db) => [adapter, db] as const));

/** Refusals of the app's body parser, before any guard of ours: the same one warning line, never an error with a stack. */
describe.each(platforms)('body parser rejection logs on %s (%s)', (adapter, kind) => {
  const logger = new CapturingLogger();
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind, {}, { adapter, logger, bodyLimit: 4096 });
  });
  afterAll(() => t?.close());
  beforeEach(() => logger.clear());

  const post = (body: string) =>
    request(t.app.getHttpServer())
      .post(WEBHOOK_PATH)
      .set('content-type', 'application/json')
      .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET))
      .send(body);
  const rejections = () => logger.lines.filter((l) => l.message.startsWith('Rejected webhook'));

  it("logs a body over the parser's limit (413) as one warning, without the body or an error", async () => {
    const body = JSON.stringify(buildWebhookPayload({ ...buildDeliveryStatus(), status_remark: `MARKER ${'z'.repeat(8000)}` }));
    await post(body).expect(413);
    expect(rejections()).toEqual([expect.objectContaining({ level: 'warn', context: 'NetcoreWebhooks' })]);
    expect(rejections()[0].message).toMatch(/body parser limit/);
    expect(rejections()[0].message).not.toContain('MARKER');
    expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(t.app.get(NetcoreSecurityStats).count('body_too_large')).toBeGreaterThan(0);
  });

  it('logs malformed JSON (400) as one warning, without the signature or the secret', async () => {
    // Raw NUL and ESC reach the log only here, in a body the parser refused.
    const body = '{"delivery_status": [{"ncmessage_id": "abc\u0000\u001b[31m", ';
    const res = await post(body).expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(rejections()).toEqual([expect.objectContaining({ level: 'warn', context: 'NetcoreWebhooks' })]);
    expect(rejections()[0].message).toMatch(/not valid JSON/);
    expect(rejections()[0].message).not.toMatch(/[\u0000-\u001f]/);
    if (adapter === 'express') expect(rejections()[0].message).toContain('abc\\u0000\\u001b[31m');
    expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(logger.text()).not.toContain(TEST_SECRET);
    expect(logger.text()).not.toContain(signNetcorePayload(body, TEST_SECRET));
  });

  it('leaves the other routes to the app: a parser error elsewhere is not logged as ours', async () => {
    await request(t.app.getHttpServer()).post('/somewhere-else').set('content-type', 'application/json').send('{"a":').expect((res) => {
      expect([400, 404]).toContain(res.status);
    });
    expect(rejections()).toEqual([]);
  });
});
