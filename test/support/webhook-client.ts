import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { signNetcorePayload } from '../../src/testing';

export const TEST_SECRET = 'test-secret-4f0c';
export const WEBHOOK_PATH = '/webhooks/netcore';

/** POSTs `body` (an object, or the exact string to send) signed as Netcore would with `secret`. */
export function postSigned(app: INestApplication, body: unknown, secret = TEST_SECRET, path = WEBHOOK_PATH): request.Test {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return request(app.getHttpServer())
    .post(path)
    .set('content-type', 'application/json')
    .set('x-netcore-signature', signNetcorePayload(raw, secret))
    .send(raw);
}
