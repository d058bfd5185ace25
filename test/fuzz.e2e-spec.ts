import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { signNetcorePayload } from '../src/testing';
import { CapturingLogger } from './support/capturing-logger';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { TEST_SECRET, WEBHOOK_PATH } from './support/webhook-client';
import { storedEvents } from './support/inbox-rows';

/**
 * Property: whatever arrives (valid, near-valid, garbage; signed, unsigned, badly signed), the app never
 * answers 5xx, keeps serving, and every valid event of an accepted request is in the inbox exactly once and
 * processed, while nothing from a refused request is.
 */
const RUNS = Number(process.env.NETCORE_FUZZ_RUNS ?? 2000);
const PG_RUNS = Math.ceil(RUNS / 2);

type Item = Record<string, unknown>;
interface Labelled {
  item: Item;
  /** Idempotency key when the item is valid by construction, otherwise null. */
  key: string | null;
}
interface Case {
  kind: 'batch' | 'garbage';
  body: Buffer;
  items: Labelled[];
  signing: 'valid' | 'wrong-secret' | 'missing' | 'tampered';
  contentType: string;
}

const SECONDS = { min: 1_700_000_000, max: 1_800_000_000 };
/** Any text without NUL (emoji, other scripts, lone surrogates), within a column's length. */
const text = (maxLength: number) =>
  fc
    .oneof(fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }))
    .filter((s) => !s.includes('\u0000') && s.length <= maxLength);

/** Text of `min` to `max` characters (code points, lone surrogates included), without NUL: longer than a column. */
const longText = (min: number, max: number) => fc.string({ unit: 'binary', minLength: min, maxLength: max }).map((s) => s.replaceAll('\u0000', '0'));

/** Keys the module refuses anywhere in an item (prototype pollution): a generated extra field must not hold one to count as valid. */
const holdsForbiddenKey = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  Object.keys(value).some((k) => ['__proto__', 'constructor', 'prototype'].includes(k) || holdsForbiddenKey((value as Record<string, unknown>)[k]));

/** Statuses whose events billing needs whatever their pricing. */
const BILLING_EVIDENCE = ['failed', 'delivered', 'read'];

/** A valid item: small id/status/time spaces so duplicates happen within and across requests. */
const validItem = fc
  .record({
    id: fc.oneof(fc.integer({ min: 0, max: 400 }).map((n) => `m-${n}`), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\u0000') && s.length <= 128)),
    status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'clicked', 'enqueued', 'x_new_status'),
    seconds: fc.oneof(fc.constantFrom(1_764_693_401, 1_764_585_432), fc.integer(SECONDS)),
    timeForm: fc.constantFrom('digits', 'number', 'datetime'),
    // Descriptive fields may be longer than their columns (recipient: 64, analytics' source: 128): kept, cut where stored.
    recipient: fc.option(fc.oneof(text(64), longText(65, 100)), { nil: undefined }),
    phoneNumber: fc.option(fc.oneof(text(64), longText(65, 100)), { nil: undefined }),
    source: fc.option(fc.oneof(text(64), longText(129, 300)), { nil: undefined }),
    remark: fc.option(text(200), { nil: undefined }),
    pricing: fc.option(fc.record({ billable: fc.boolean(), category: fc.option(text(64), { nil: undefined }) }), { nil: undefined }),
    // A failed, delivered or read event's pricing is ignored when invalid (billing needs the event, not its pricing):
    // the event is still stored.
    ignoredPricing: fc.option(fc.constantFrom<unknown>({ billable: 'yes' }, 'free', null, { billable: true, category: 'c'.repeat(65) }), { nil: undefined }),
    extra: fc.option(fc.jsonValue({ maxDepth: 3 }).filter((v) => !holdsForbiddenKey(v)), { nil: undefined }),
  })
  .map(({ id, status, seconds, timeForm, recipient, phoneNumber, source, remark, pricing, ignoredPricing, extra }): Labelled => {
    const receivedAt =
      timeForm === 'digits' ? String(seconds) : timeForm === 'number' ? seconds : new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
    const item: Item = { ncmessage_id: id, status, received_at: receivedAt };
    if (recipient !== undefined) item.recipient = recipient;
    if (phoneNumber !== undefined) item.phoneNumber = phoneNumber;
    if (source !== undefined) item.source = source;
    if (remark !== undefined) item.status_remark = remark;
    if (pricing !== undefined) item.pricing = pricing;
    if (BILLING_EVIDENCE.includes(status) && ignoredPricing !== undefined) item.pricing = ignoredPricing;
    if (extra !== undefined) item.extra = extra;
    return { item, key: `${id}|${status}|${seconds * 1000}` };
  });

/** A valid item broken in one way that validation must catch. */
const nearValidItem = fc
  .tuple(
    validItem,
    fc.constantFrom(
      (i: Item) => delete i.ncmessage_id,
      (i: Item) => delete i.status,
      (i: Item) => delete i.received_at,
      (i: Item) => (i.ncmessage_id = 12345),
      (i: Item) => (i.ncmessage_id = 'x'.repeat(129)),
      (i: Item) => (i.ncmessage_id = 'nul\u0000id'),
      (i: Item) => (i.ncmessage_id = `${String(i.ncmessage_id)}\ud800`),
      (i: Item) => (i.ncmessage_id = `${'a\uFE0F'.repeat(64)}b`),
      // Invalid descriptive fields refuse any event but a failed, delivered or read one (there they are left out).
      (i: Item) => ((i.status = BILLING_EVIDENCE.includes(String(i.status)) ? 'sent' : i.status), (i.status_remark = 'nul\u0000remark')),
      (i: Item) => (i.status = 'READ'),
      (i: Item) => (i.status = ''),
      (i: Item) => (i.received_at = 'yesterday'),
      (i: Item) => (i.received_at = 1.5),
      (i: Item) => (i.received_at = '1999-12-31 23:59:59'),
      // Invalid pricing refuses any event but a failed, delivered or read one.
      (i: Item) => ((i.status = BILLING_EVIDENCE.includes(String(i.status)) ? 'sent' : i.status), (i.pricing = { billable: 'yes' })),
      (i: Item) => ((i.status = BILLING_EVIDENCE.includes(String(i.status)) ? 'clicked' : i.status), (i.pricing = 'free')),
      (i: Item) => ((i.status = BILLING_EVIDENCE.includes(String(i.status)) ? 'clicked' : i.status), (i.recipient = ['a'])),
      (i: Item) => Object.defineProperty(i, '__proto__', { value: { polluted: true }, enumerable: true }),
      (i: Item) => (i.extra = { constructor: { prototype: { polluted: true } } }),
    ),
  )
  .map(([labelled, mutate]): Labelled => {
    mutate(labelled.item);
    return { item: labelled.item, key: null };
  });

const notAnObject = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.integer(), { maxLength: 3 }));

const batch = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: validItem }, { weight: 1, arbitrary: nearValidItem }, { weight: 1, arbitrary: notAnObject.map((v): Labelled => ({ item: v as never, key: null })) }), {
      minLength: 1,
      maxLength: 8,
    }),
    fc.constantFrom(undefined, 2, '\t'),
  )
  .map(([items, space]) => ({ kind: 'batch' as const, items, body: Buffer.from(JSON.stringify({ delivery_status: items.map((l) => l.item) }, null, space)) }));

const nested = (depth: number) => `{"delivery_status":[{"x":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
const garbage = fc
  .oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify({ delivery_status: v }))),
    fc.integer({ min: 1, max: 5000 }).map((d) => Buffer.from(nested(d))),
    batch.chain((b) => fc.integer({ min: 0, max: b.body.length - 1 }).map((n) => b.body.subarray(0, n))),
    fc.constantFrom('{"__proto__":{"delivery_status":[]}}', '{"delivery_status":[]}', '{"delivery_status":{}}', '[]', 'null', '', '{"delivery_status":[' + '1,'.repeat(1500) + '1]}').map((s) => Buffer.from(s)),
  )
  .map((body) => ({ kind: 'garbage' as const, items: [] as Labelled[], body }));

const cases: fc.Arbitrary<Case> = fc
  .record({
    payload: fc.oneof({ weight: 3, arbitrary: batch }, { weight: 2, arbitrary: garbage }),
    signing: fc.constantFrom<Case['signing']>('valid', 'valid', 'valid', 'wrong-secret', 'missing', 'tampered'),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain'),
  })
  .map(({ payload, signing, contentType }) => ({ ...payload, signing, contentType }));

const FUZZ_DATABASES = DATABASES.map((kind) => [kind, kind === 'postgres' ? PG_RUNS : RUNS] as const);

describe.each(FUZZ_DATABASES)('fuzz: generated payloads against the real app (%s, %i runs)', (kind, runs) => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    // Rejections are logged by design; capture them instead of printing thousands of lines.
    t = await startHostApp(kind, { webhooks: { maxBatchSize: 1000 } }, { logger: new CapturingLogger() });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t?.close());

  it('never answers 5xx, keeps serving, and stores and processes each valid event of an accepted request exactly once', async () => {
    const accepted = new Set<string>();
    const refused = new Set<string>();
    const statuses = new Map<number, number>();
    let tried = 0;

    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        tried++;
        const headers: Record<string, string> = { 'content-type': c.contentType };
        if (c.signing === 'valid') headers['x-netcore-signature'] = signNetcorePayload(c.body, TEST_SECRET);
        if (c.signing === 'wrong-secret') headers['x-netcore-signature'] = signNetcorePayload(c.body, 'not-the-secret');
        let body = c.body;
        if (c.signing === 'tampered') {
          headers['x-netcore-signature'] = signNetcorePayload(c.body, TEST_SECRET);
          body = Buffer.concat([c.body, Buffer.from(' ')]);
        }
        const res = await request(base)
          .post(WEBHOOK_PATH)
          .set(headers)
          .serialize((data: unknown) => data as string)
          .send(body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);

        const validKeys = c.items.flatMap((l) => (l.key ? [l.key] : []));
        const signedJson = c.signing === 'valid' && c.contentType.startsWith('application/json');
        if (c.kind === 'batch' && signedJson) {
          expect(res.status).toBe(200);
          expect(res.body.accepted + res.body.duplicates).toBe(validKeys.length);
          expect(res.body.rejected).toBe(c.items.length - validKeys.length);
          validKeys.forEach((k) => accepted.add(k));
        } else if (res.status === 200) {
          expect(signedJson).toBe(true);
          expect(res.body.accepted).toBe(0); // garbage never makes an event
        } else {
          validKeys.forEach((k) => refused.add(k));
        }
      }),
      { numRuns: runs, endOnFailure: true },
    );

    // Still up and serving after all of it.
    const last = JSON.stringify({ delivery_status: [{ ncmessage_id: `alive-${Date.now()}`, status: 'read', received_at: '1764693401' }] });
    await request(base).post(WEBHOOK_PATH).set('content-type', 'application/json').set('x-netcore-signature', signNetcorePayload(last, TEST_SECRET)).send(last).expect(200);
    accepted.add(`${JSON.parse(last).delivery_status[0].ncmessage_id}|read|1764693401000`);

    await t.settle();
    const rows = await storedEvents(t.app, {});
    // Every stored event could be processed (message state, billing, analytics): none failed or dead.
    expect(rows.filter((r) => r.state !== 'processed')).toEqual([]);
    const stored = rows.map((r) => r.idempotencyKey);
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(accepted);
    for (const key of refused) if (!accepted.has(key)) expect(stored).not.toContain(key);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(' ');
    process.stdout.write(`\nfuzz (${kind}): ${tried} inputs tried; statuses ${summary}; ${accepted.size} distinct valid events stored exactly once\n`);
    expect(tried).toBe(runs);
  }, 180_000);
});
