import { NetcoreMessageService } from '../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../src/testing';
import { AT, REMARK, T0, lifecycle, permutations } from './support/lifecycle';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { postSigned } from './support/webhook-client';

describe.each(DATABASES)('message lifecycle (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startHostApp(kind);
  });
  afterAll(() => t?.close());

  const messages = () => t.app.get(NetcoreMessageService);

  async function deliverOneByOne(items: NetcoreDeliveryStatusItem[]): Promise<void> {
    for (const item of items) {
      await postSigned(t.app, buildWebhookPayload(item)).expect(200);
      await t.settle();
    }
  }

  describe.each(permutations(['sent', 'delivered', 'read']))('sent/delivered/read arriving as %s, %s, %s', (...order) => {
    it('ends read with every timestamp filled from its own received_at', async () => {
      const items = lifecycle(order);
      await deliverOneByOne(items);
      expect(await messages().findOne(items[0].ncmessage_id)).toMatchObject({
        status: 'read',
        sentAt: new Date(AT.sent * 1000),
        deliveredAt: new Date(AT.delivered * 1000),
        readAt: new Date(AT.read * 1000),
        failedAt: null,
        failureReason: null,
      });
    });
  });

  describe.each(permutations(['sent', 'failed']))('sent/failed arriving as %s, %s', (...order) => {
    it('ends failed with the remark as failure reason and both timestamps', async () => {
      const items = lifecycle(order);
      await deliverOneByOne(items);
      expect(await messages().findOne(items[0].ncmessage_id)).toMatchObject({
        status: 'failed',
        sentAt: new Date(AT.sent * 1000),
        failedAt: new Date(AT.failed * 1000),
        failureReason: REMARK,
        deliveredAt: null,
      });
    });
  });

  it('never lets failed override a delivered that arrived first', async () => {
    const items = lifecycle(['delivered', 'failed']);
    await deliverOneByOne(items);
    expect(await messages().findOne(items[0].ncmessage_id)).toMatchObject({
      status: 'delivered',
      failedAt: new Date(AT.failed * 1000),
    });
  });

  it('reaches the same final state when the whole lifecycle arrives in one batch, or in concurrent requests', async () => {
    const batch = lifecycle(['read', 'sent', 'failed', 'delivered']);
    await postSigned(t.app, buildWebhookPayload(...batch)).expect(200);
    const concurrent = lifecycle(['read', 'sent', 'failed', 'delivered']);
    await Promise.all(concurrent.map((item) => postSigned(t.app, buildWebhookPayload(item)).expect(200)));
    await t.settle();
    for (const id of [batch[0].ncmessage_id, concurrent[0].ncmessage_id]) {
      expect(await messages().findOne(id)).toMatchObject({
        status: 'read',
        sentAt: new Date(AT.sent * 1000),
        failedAt: new Date(AT.failed * 1000),
        deliveredAt: new Date(AT.delivered * 1000),
        readAt: new Date(AT.read * 1000),
        failureReason: REMARK,
      });
    }
  });

  it('keeps the earliest timestamp when a status arrives twice at different times', async () => {
    const [late] = lifecycle(['sent']);
    const early = { ...late, received_at: String(AT.sent - 30) };
    await deliverOneByOne([late, early]);
    expect((await messages().findOne(late.ncmessage_id))?.sentAt).toEqual(new Date((AT.sent - 30) * 1000));
  });

  it('counts clicks without changing the status, and not twice for a retried click', async () => {
    const [sent] = lifecycle(['sent']);
    const click1 = { ...sent, status: 'clicked', received_at: String(T0 + 400) };
    const click2 = { ...sent, status: 'clicked', received_at: String(T0 + 500) };
    await deliverOneByOne([click2, sent, click1, click2]);
    expect(await messages().findOne(sent.ncmessage_id)).toMatchObject({
      status: 'sent',
      clickCount: 2,
      firstClickedAt: new Date((T0 + 400) * 1000),
    });
  });

  it('keeps the latest non-empty recipient details', async () => {
    const [sent, delivered] = lifecycle(['sent', 'delivered']);
    await deliverOneByOne([{ ...sent, source: 'campaign-7', 'x-apiheader': 'order-42' }, { ...delivered, source: '', 'x-apiheader': '' }]);
    expect(await messages().findOne(sent.ncmessage_id)).toMatchObject({ source: 'campaign-7', apiHeader: 'order-42' });
  });
});
