import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  NetcoreDeadLetter,
  NetcoreMessage,
  NetcoreSecurityStats,
  NetcoreWebhookEvent,
} from '../src';
import { buildDeliveryStatus, buildWebhookPayload, signNetcorePayload } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH, postSigned } from './support/webhook-client';

const MAX_BODY = 256 * 1024;

describe.each(DATABASES)('hostile input (%s)', (kind) => {
  let t: TestApp;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    // The host raises the app's JSON parser limit above the module's own, as the README says.
    t = await startHostApp(
      kind,
      { webhooks: { maxBodyBytes: MAX_BODY } },
      { logger, prepare: (app) => app.useBodyParser('json', { limit: '1mb' }) },
    );
  });
  afterAll(() => t?.close());
  beforeEach(() => t.resetRecording());

  const inbox = () => t.app.get(DataSource).getRepository(NetcoreWebhookEvent);
  const deadLetters = () => t.app.get(DataSource).getRepository(NetcoreDeadLetter);
  const raw = (body: string | Buffer, contentType = 'application/json') =>
    request(t.app.getHttpServer())
      .post(WEBHOOK_PATH)
      .set('content-type', contentType)
      .set('x-netcore-signature', signNetcorePayload(body, TEST_SECRET))
      // superagent would JSON-serialise a Buffer; send the bytes as they are.
      .serialize((data: unknown) => data as string)
      .send(body);
  const withItem = (over: Record<string, unknown>) => {
    const item = { ...buildDeliveryStatus(), ...over };
    return { item, body: JSON.stringify(buildWebhookPayload(item as never)) };
  };

  describe('size', () => {
    it('answers 413 when the signed body exceeds maxBodyBytes, storing nothing', async () => {
      const { item, body } = withItem({ status_remark: 'z'.repeat(MAX_BODY) });
      const res = await raw(body).expect(413);
      expect(res.body.message).toBe(`Request body exceeds ${MAX_BODY} bytes`);
      expect(await inbox().countBy({ ncmessageId: item.ncmessage_id })).toBe(0);
      expect(t.app.get(NetcoreSecurityStats).count('body_too_large')).toBe(1);
    });

    it("answers 413 (JSON, not 500) when the app's own parser limit is hit first", async () => {
      const res = await raw(JSON.stringify({ delivery_status: [{ pad: 'z'.repeat(1100 * 1024) }] })).expect(413);
      expect(res.headers['content-type']).toMatch(/application\/json/);
    });

    it('answers 413 to a gzip bomb: the parser limit applies to the inflated size', async () => {
      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      expect(bomb.length).toBeLessThan(64 * 1024);
      await request(t.app.getHttpServer())
        .post(WEBHOOK_PATH)
        .set('content-type', 'application/json')
        .set('content-encoding', 'gzip')
        .serialize((data: unknown) => data as string)
        .send(bomb)
        .expect(413);
    });

    it('accepts a body just under maxBodyBytes and keeps a long remark whole', async () => {
      const remark = 'é'.repeat(100 * 1024);
      const { item, body } = withItem({ status: 'failed', status_remark: remark });
      expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY);
      await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(t.recorder.received[0].event.statusRemark).toBe(remark);
      expect(JSON.parse((await inbox().findOneByOrFail({ ncmessageId: item.ncmessage_id })).payload).status_remark).toBe(remark);
    });
  });

  describe('media type and encoding', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['a +json vendor type the JSON parser does not read', 'application/vnd.netcore+json'],
      ['form encoding', 'application/x-www-form-urlencoded'],
    ])('answers 415 to %s', async (_label, type) => {
      await raw('{"delivery_status":[]}', type).expect(415);
    });

    it('answers 415 to a charset other than UTF-8', async () => {
      await raw('{"delivery_status":[]}', 'application/json; charset=latin1').expect(415);
    });

    it('answers 400 to a signed body that is not valid UTF-8, instead of storing U+FFFD in its place', async () => {
      const { item, body } = withItem({ status_remark: 'MARK' });
      const bytes = Buffer.from(body.replace('MARK', '\u0001\u0001'));
      bytes[bytes.indexOf(1)] = 0xff;
      bytes[bytes.indexOf(1)] = 0xfe;
      const res = await raw(bytes).expect(400);
      expect(res.body.message).toBe('Request body is not valid UTF-8');
      expect(await inbox().countBy({ ncmessageId: item.ncmessage_id })).toBe(0);
    });

    it.each([
      ['truncated JSON', '{"delivery_status": ['],
      ['a bare string', '"delivery_status"'],
      ['trailing garbage', '{"delivery_status": []} x'],
      ['a lone surrogate escape in a key only', '{"\\ud800": 1}'],
    ])('answers 400 (never 500) to %s', async (_label, body) => {
      await raw(body).expect(400);
    });

    it('answers 400 to a request without any body', async () => {
      await raw('').expect(400);
    });

    it("answers 400 to a gzip body that does not inflate", async () => {
      await request(t.app.getHttpServer()).post(WEBHOOK_PATH).set('content-type', 'application/json').set('content-encoding', 'gzip').send('{}').expect(400);
    });
  });

  describe('structure', () => {
    it('answers 400 to a body nested 100000 levels deep, and the process keeps serving', async () => {
      const body = `{"delivery_status":[{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
      const res = await raw(body).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(/nested deeper than 32 levels/);
      await postSigned(t.app, buildWebhookPayload(buildDeliveryStatus())).expect(200);
    });

    it('accepts 32 levels and refuses 33', async () => {
      const nest = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
      // body object (1) > delivery_status array (2) > item (3) > extra: 29 more levels = 32.
      await raw(`{"delivery_status":[{"ncmessage_id":"d-${Date.now()}","status":"sent","received_at":"1764585991","x":${nest(29)}}]}`).expect(200);
      await raw(`{"delivery_status":[{"x":${nest(30)}}]}`).expect(400);
    });

    it('answers 400 to 60000 items in delivery_status (over maxBatchSize), counting it as an invalid body', async () => {
      const before = t.app.get(NetcoreSecurityStats).count('invalid_body');
      const res = await raw(`{"delivery_status":[${'{},'.repeat(59_999)}{}]}`).expect(400);
      expect(JSON.stringify(res.body.message)).toMatch(/60000 items; at most 1000/);
      expect(t.app.get(NetcoreSecurityStats).count('invalid_body')).toBe(before + 1);
    });

    it('stores a huge extra array as received (bounded only by the body size)', async () => {
      const { item, body } = withItem({ numbers: Array.from({ length: 30_000 }, (_, i) => i) });
      await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      const row = await inbox().findOneByOrFail({ ncmessageId: item.ncmessage_id });
      expect(JSON.parse(row.payload).numbers).toHaveLength(30_000);
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'dead-letters an item carrying a %s key, emits nothing for it, and pollutes no prototype',
      async (key) => {
        // The same word as a value is no hazard: the good item is accepted.
        const good = { ...buildDeliveryStatus(), note: [key] };
        const bad = buildDeliveryStatus();
        const body = JSON.stringify(buildWebhookPayload(good, bad)).replace(
          `"ncmessage_id":"${bad.ncmessage_id}"`,
          `"ncmessage_id":"${bad.ncmessage_id}","extra":{"${key}":{"polluted":true,"toString":"x"}}`,
        );
        await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
        await t.settle();
        expect(t.recorder.received.map((r) => r.event.ncmessageId)).toEqual([good.ncmessage_id]);
        expect(await inbox().countBy({ ncmessageId: bad.ncmessage_id })).toBe(0);
        const dead = (await deadLetters().find()).find((d) => d.payload.includes(bad.ncmessage_id))!;
        expect(JSON.parse(dead.errors)).toEqual([`item must not contain the key "${key}"`]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.toString.call([])).toBe('[object Array]');
      },
    );

    it('ignores a __proto__ key on the envelope: delivery_status must be an own property', async () => {
      await raw(`{"__proto__":${JSON.stringify(buildWebhookPayload(buildDeliveryStatus()))}}`).expect(400);
      expect(({} as Record<string, unknown>).delivery_status).toBeUndefined();
    });
  });

  describe('values', () => {
    it('dead-letters numbers where strings are expected, and keeps the rest of the batch', async () => {
      const good = buildDeliveryStatus();
      const numeric = { ...buildDeliveryStatus(), ncmessage_id: 12345, recipient: 919867644673 };
      await raw(JSON.stringify({ delivery_status: [good, numeric] })).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
    });

    it('dead-letters an ncmessage_id longer than its column instead of failing the batch', async () => {
      const good = buildDeliveryStatus();
      const long = buildDeliveryStatus({ ncmessage_id: 'm'.repeat(129) });
      await raw(JSON.stringify(buildWebhookPayload(good, long))).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
    });

    it('dead-letters an ncmessage_id over its column length in characters, though MaxLength would count half (variation selectors)', async () => {
      // 128 characters in 242 UTF-16 units: within the column, accepted.
      const good = buildDeliveryStatus({ ncmessage_id: `${'\u{1F680}'.repeat(114)}-${Date.now()}` });
      // 'a' plus VARIATION SELECTOR-16: two characters for the column, one for class-validator's MaxLength.
      const bad = buildDeliveryStatus({ ncmessage_id: `${'a\uFE0F'.repeat(64)}b` });
      await raw(JSON.stringify(buildWebhookPayload(good, bad))).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
      const dead = (await deadLetters().find()).find((d) => JSON.parse(d.payload).ncmessage_id === bad.ncmessage_id)!;
      expect(JSON.parse(dead.errors)).toEqual(['ncmessage_id must be at most 128 characters']);
      expect(await inbox().countBy({ ncmessageId: good.ncmessage_id })).toBe(1);
    });

    it('keeps a recipient and a phone number longer than their columns: whole in the event, cut to 64 characters on the message', async () => {
      const long = `${'a\uFE0F'.repeat(40)}\ud800-${'9'.repeat(100)}`;
      // 65 characters in 129 UTF-16 units: a lone surrogate (stored as U+FFFD) and 64 emoji, none split by the cut.
      const rockets = `\ud800${'\u{1F680}'.repeat(64)}`;
      const { item, body } = withItem({ recipient: long, phoneNumber: rockets });
      await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(t.recorder.received[0].event).toMatchObject({ recipient: long, phoneNumber: rockets });
      const message = await t.app.get(DataSource).getRepository(NetcoreMessage).findOneByOrFail({ ncmessageId: item.ncmessage_id });
      expect(message).toMatchObject({ recipient: 'a\uFE0F'.repeat(32), phoneNumber: `\uFFFD${'\u{1F680}'.repeat(63)}` });
    });

    it('dead-letters an ncmessage_id holding a lone surrogate: it would not come back from the database as sent', async () => {
      const good = buildDeliveryStatus();
      const id = `lone-${Date.now()}-`;
      // Two messages for the sender, one row for PostgreSQL (U+FFFD for both): stored, the second would fail the batch
      // (one statement cannot upsert a row twice: a 503 retried forever). SQLite keeps both but reads U+FFFD back.
      const first = buildDeliveryStatus({ ncmessage_id: `${id}\ud800`, received_at: good.received_at });
      const second = buildDeliveryStatus({ ncmessage_id: `${id}\ud801`, received_at: good.received_at });
      await raw(JSON.stringify(buildWebhookPayload(good, first, second))).expect(200, { accepted: 1, duplicates: 0, rejected: 2 });
      const letters = (await deadLetters().find()).filter((d) => d.payload.includes(id));
      expect(letters).toHaveLength(2);
      for (const letter of letters) expect(JSON.parse(letter.errors)).toEqual(['ncmessage_id must be well-formed Unicode (a lone surrogate cannot be stored as sent)']);
      expect(await inbox().countBy({ ncmessageId: good.ncmessage_id })).toBe(1);
    });

    it.each([
      ['ncmessage_id', { ncmessage_id: `nul-\u0000-${Date.now()}` }],
      ['status_remark', { status_remark: 'before\u0000after' }],
      ['x-apiheader', { 'x-apiheader': '\u0000' }],
    ])('dead-letters a NUL character in %s (PostgreSQL refuses it in text) rather than answering 503', async (field, over) => {
      const good = buildDeliveryStatus();
      const bad = { ...buildDeliveryStatus(), ...over };
      await raw(JSON.stringify({ delivery_status: [good, bad] })).expect(200, { accepted: 1, duplicates: 0, rejected: 1 });
      const dead = (await deadLetters().find()).find((d) => JSON.parse(d.payload).ncmessage_id === bad.ncmessage_id)!;
      expect(dead.errors).toContain(`${field} must not contain NUL characters`);
      expect(JSON.parse(dead.payload)).toEqual(bad);
    });

    it('accepts a NUL character in an extra field, stored as escaped JSON and emitted intact', async () => {
      const { item, body } = withItem({ note: 'a\u0000b' });
      await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      expect(JSON.parse((await inbox().findOneByOrFail({ ncmessageId: item.ncmessage_id })).payload).note).toBe('a\u0000b');
      expect(t.recorder.received[0].event.raw.note).toBe('a\u0000b');
    });

    it('keeps emoji, other scripts and a lone surrogate safely, in the store and in the event', async () => {
      const { item, body } = withItem({ ncmessage_id: `🚀-${Date.now()}-短信`, status: 'failed', status_remark: 'déjà 🚀 \ud800 नमस्ते', source: '👍🏽' });
      await raw(body).expect(200, { accepted: 1, duplicates: 0, rejected: 0 });
      await t.settle();
      const event = t.recorder.received[0].event;
      expect(event.ncmessageId).toBe(item.ncmessage_id);
      expect(event.source).toBe('👍🏽');
      const row = await inbox().findOneByOrFail({ ncmessageId: item.ncmessage_id });
      expect(JSON.parse(row.payload)).toEqual(item);
    });
  });

  // Runs last: everything above was answered without the module logging an error of its own
  // (Nest's ExceptionsHandler logs the body parser's 4xx errors; those are the platform's, not ours).
  it('logged warnings for the refusals above, and no error from the module', () => {
    expect(logger.lines.filter((l) => l.context === 'NetcoreWebhooks' && l.level === 'error')).toEqual([]);
    expect(logger.lines.filter((l) => l.context === 'NetcoreWebhooks' && l.level === 'warn').length).toBeGreaterThan(10);
  });
});
